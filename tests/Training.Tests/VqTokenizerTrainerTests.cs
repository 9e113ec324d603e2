using System.Text.Json;
using SemanticMIM.Model.Targets;
using SemanticMIM.Training.Tokenizers;
using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests;

public sealed class VqTokenizerTrainerTests
{
    private const int Steps = 60;
    private const int BatchSize = 32;

    private static readonly VqTokenizerConfig Config = new() { InputChannels = 1, HiddenChannels = 16, CodeDim = 8, VocabSize = 32 };

    private static readonly VqTrainingOptions Options = new() { Steps = Steps, BatchSize = BatchSize, LearningRate = 3e-3, RestartEvery = 20, Seed = 5 };

    [Fact]
    public void TrainingLowersTheReconstructionErrorAndReportsEveryStep()
    {
        using var data = Data.Create();
        using var tokenizer = NewTokenizer();
        double untrained = VqTokenizerTrainer.Evaluate(tokenizer, data.Evaluation, BatchSize).ReconstructionMse;
        double variance;
        using (var v = data.Evaluation.var())
        {
            variance = v.ToDouble();
        }
        var progress = new Recorder();
        var statistics = DisposeScopeManager.Statistics;
        long liveBefore = statistics.ThreadTotalLiveCount;

        var report = VqTokenizerTrainer.Train(tokenizer, data.Batch, Options, data.Evaluation, progress);

        // Every batch, loss and optimizer state is gone again (a leak of one tensor per step would add 60).
        Assert.InRange(statistics.ThreadTotalLiveCount - liveBefore, long.MinValue, 5);
        Assert.True(report.ReconstructionMse < 0.5 * untrained, $"MSE {report.ReconstructionMse} after training, {untrained} before");
        // Better than the best constant image (the variance), so the codes carry information: no collapse to one code.
        Assert.True(report.ReconstructionMse < 0.8 * variance, $"MSE {report.ReconstructionMse} after training, pixel variance {variance}");
        Assert.InRange(report.CodesUsed, 4, Config.VocabSize);
        Assert.Equal(Steps, report.Steps);
        Assert.Equal(Config.VocabSize, report.VocabSize);
        Assert.Equal(Enumerable.Range(1, Steps), progress.Reports.Select(r => r.Step));
        Assert.All(progress.Reports, r =>
        {
            Assert.Equal(Steps, r.Steps);
            Assert.True(double.IsFinite(r.Loss) && r.Loss >= r.ReconstructionLoss && r.ReconstructionLoss > 0);
            Assert.InRange(r.CodesUsedInWindow, 1, Config.VocabSize);
        });
        Assert.Equal(progress.Reports[^1].Loss, report.FinalLoss);
        Assert.False(tokenizer.training);
    }

    [Fact]
    public void TheSameSeedGivesBitIdenticalWeights()
    {
        using var data = Data.Create();
        using var first = NewTokenizer();
        using var second = NewTokenizer();

        var firstReport = VqTokenizerTrainer.Train(first, data.Batch, Options, data.Evaluation);
        var secondReport = VqTokenizerTrainer.Train(second, data.Batch, Options, data.Evaluation);

        Assert.Equal(firstReport, secondReport);
        var expected = first.state_dict();
        foreach (var (name, weights) in second.state_dict())
        {
            Assert.Equal(expected[name].data<float>().ToArray(), weights.data<float>().ToArray());
        }
    }

    [Fact]
    public void TheCodeStatisticsAndErrorMatchTokenizeAndForward()
    {
        using var data = Data.Create();
        using var tokenizer = NewTokenizer();

        var report = VqTokenizerTrainer.Train(tokenizer, data.Batch, Options with { Steps = 20 }, data.Evaluation);

        var histogram = new long[Config.VocabSize];
        double squaredError;
        using (var scope = NewDisposeScope())
        {
            foreach (long code in tokenizer.Tokenize(data.Evaluation).data<long>().ToArray())
            {
                histogram[code]++;
            }
            using var noGrad = no_grad();
            squaredError = (tokenizer.forward(data.Evaluation) - data.Evaluation).square().sum(ScalarType.Float64).ToDouble();
        }
        double total = histogram.Sum();
        double entropy = -histogram.Where(n => n > 0).Sum(n => n / total * Math.Log(n / total));
        Assert.Equal(histogram.Count(n => n > 0), report.CodesUsed);
        Assert.Equal(Math.Exp(entropy), report.Perplexity, 1e-9);
        Assert.Equal((double)report.CodesUsed / Config.VocabSize, report.UsedFraction);
        Assert.Equal(squaredError / data.Evaluation.numel(), report.ReconstructionMse, 1e-7);
    }

    [Fact]
    public void InvalidOptionsAreRejectedWithEveryProblem()
    {
        Assert.Empty(new VqTrainingOptions().Validate());
        var options = new VqTrainingOptions { Steps = 0, BatchSize = -1, LearningRate = 0, RestartEvery = -1 };

        var problems = options.Validate();

        Assert.Equal(4, problems.Count);
        foreach (var name in new[] { "Steps", "BatchSize", "LearningRate", "RestartEvery" })
        {
            Assert.Contains(problems, p => p.StartsWith(name, StringComparison.Ordinal));
        }
        using var data = Data.Create();
        using var tokenizer = NewTokenizer();
        var error = Assert.Throws<ArgumentException>(() => VqTokenizerTrainer.Train(tokenizer, data.Batch, options, data.Evaluation));
        Assert.All(problems, p => Assert.Contains(p, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void TheReportRoundTripsThroughCamelCaseJson()
    {
        var report = new VqTokenizerReport(300, 0.0123456789, 301, 512, 187.25, 0.0456);

        string json = report.ToJson();

        using var document = JsonDocument.Parse(json);
        Assert.Equal(0.0123456789, document.RootElement.GetProperty("reconstructionMse").GetDouble());
        Assert.Equal(301.0 / 512, document.RootElement.GetProperty("usedFraction").GetDouble());
        Assert.Equal(report, VqTokenizerReport.FromJson(json));
        var evaluationOnly = report with { Steps = 0, FinalLoss = double.NaN };
        Assert.Equal(evaluationOnly, VqTokenizerReport.FromJson(evaluationOnly.ToJson()));
    }

    private static VqTokenizer NewTokenizer()
    {
        random.manual_seed(17);
        return new VqTokenizer(Config);
    }

    /// <summary>Seeded 16×16 greyscale images, half oriented stripes and half Gaussian blobs, in [0, 1].</summary>
    private sealed class Data : IDisposable
    {
        private const int Size = 16;

        private Data(Tensor training, Tensor evaluation)
        {
            Training = training;
            Evaluation = evaluation;
        }

        public Tensor Training { get; }

        public Tensor Evaluation { get; }

        public static Data Create()
        {
            using var generator = new Generator(23);
            return new Data(Images(192, generator), Images(64, generator));
        }

        /// <summary>A fresh view of the training images for a step, cycling through them.</summary>
        public Tensor Batch(int step) => Training.narrow(0, step * BatchSize % Training.shape[0], BatchSize);

        public void Dispose()
        {
            Training.Dispose();
            Evaluation.Dispose();
        }

        private static Tensor Images(int count, Generator generator)
        {
            using var scope = NewDisposeScope();
            var ys = arange(Size, ScalarType.Float32).view(1, 1, Size, 1);
            var xs = arange(Size, ScalarType.Float32).view(1, 1, 1, Size);
            Tensor Uniform(double low, double high) => rand([count, 1, 1, 1], generator: generator) * (high - low) + low;
            var angle = Uniform(0, Math.PI);
            var frequency = Uniform(0.4, 1.2);
            var phase = Uniform(0, 2 * Math.PI);
            var stripes = 0.5 + 0.4 * sin((xs * cos(angle) + ys * sin(angle)) * frequency + phase);
            var (cx, cy, width) = (Uniform(2, Size - 2), Uniform(2, Size - 2), Uniform(1.5, 4));
            var blobs = 0.1 + 0.8 * exp(-((xs - cx).square() + (ys - cy).square()) / (2 * width.square()));
            var isStripes = Uniform(0, 1) < 0.5;
            return where(isStripes, stripes, blobs).MoveToOuterDisposeScope();
        }
    }

    private sealed class Recorder : IProgress<VqTrainingProgress>
    {
        public List<VqTrainingProgress> Reports { get; } = [];

        public void Report(VqTrainingProgress value) => Reports.Add(value);
    }
}
