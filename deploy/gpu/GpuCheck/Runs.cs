using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SemanticMIM.Model.Masking;
using SemanticMIM.Model.Targets;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.GpuCheck;

/// <summary>Speed measurements: the batch search, timed training steps and target computation.</summary>
internal static class Runs
{
    public sealed record FitResult(string Precision, int? Batch, IReadOnlyList<string> Tried, double Seconds);

    public sealed record TrainResult(string Precision, bool Tf32, int Batch, int Steps, double Seconds, double StepSeconds,
        double ImagesPerSecond, double FlopsPerStep, long? PeakMemoryBytes, double FirstLoss, double LastLoss);

    public sealed record TokensResult(string Kind, int Batch, int ImageSize, int Iterations, double Seconds, double ImagesPerSecond);

    /// <summary>
    /// For each precision, the largest rung of the ladder whose training step runs, trying the largest first and
    /// moving down on out-of-memory; a precision's search stops once it has taken --search-seconds.
    /// </summary>
    public static JsonObject Fit(Options options, Device device)
    {
        var model = options.Model();
        var precisions = options.Text("precisions", "fp32,bf16").Split(',');
        var ladder = options.Ints("ladder", "64,128,256").OrderDescending().ToList();
        double limit = options.Double("search-seconds", 30);
        bool tf32 = options.Bool("tf32", true);
        double ratio = options.Double("mask-ratio", 0.6);
        options.EnsureAllRead();

        var results = new List<FitResult>();
        foreach (var name in precisions)
        {
            var clock = Stopwatch.StartNew();
            var tried = new List<string>();
            int? chosen = null;
            foreach (int batch in ladder)
            {
                if (clock.Elapsed.TotalSeconds > limit)
                {
                    tried.Add($"{batch}: not tried, search past {limit} s");
                    continue;
                }
                try
                {
                    using var data = new RandomWorkload(model, batch, seed: 3);
                    using var engine = PretrainingEngine.Start(model, RandomWorkload.Recipe(2, batch, RandomWorkload.Precision(name), tf32, ratio),
                        data.Source(), device: device);
                    engine.TrainStep();
                    RandomWorkload.Synchronize(device);
                    tried.Add($"{batch}: fits");
                    chosen = batch;
                    break;
                }
                catch (Exception error) when (RandomWorkload.IsOutOfMemory(error))
                {
                    tried.Add($"{batch}: out of memory");
                    // Tensors the failed step left to the finalizer go before the next rung allocates.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }
            results.Add(new FitResult(name, chosen, tried, clock.Elapsed.TotalSeconds));
            Console.Error.WriteLine($"fit {name}: {string.Join("; ", tried)}");
        }
        return new JsonObject { ["fits"] = JsonSerializer.SerializeToNode(results, Program.Json) };
    }

    /// <summary>--warmup untimed steps, then --steps steps between two device synchronisations.</summary>
    public static JsonObject Train(Options options, Device device, PeakMemory memory)
    {
        var model = options.Model();
        string precision = options.Text("precision", "fp32");
        bool tf32 = options.Bool("tf32", true);
        int batch = options.Int("batch", 64);
        int steps = options.Int("steps", 50);
        int warmup = options.Int("warmup", 3);
        double ratio = options.Double("mask-ratio", 0.6);
        options.EnsureAllRead();

        using var data = new RandomWorkload(model, batch, seed: 3);
        var recipe = RandomWorkload.Recipe(warmup + steps, batch, RandomWorkload.Precision(precision), tf32, ratio);
        using var engine = PretrainingEngine.Start(model, recipe, data.Source(), device: device);
        double first = 0;
        for (int i = 0; i < warmup; i++)
        {
            first = engine.TrainStep().Loss;
        }
        RandomWorkload.Synchronize(device);
        var clock = Stopwatch.StartNew();
        double last = 0;
        for (int i = 0; i < steps; i++)
        {
            last = engine.TrainStep().Loss;
            if (i == 0 && warmup == 0)
            {
                first = last;
            }
        }
        RandomWorkload.Synchronize(device);
        double seconds = clock.Elapsed.TotalSeconds;
        int masked = MaskGenerator.CountFor(model.Encoder.NumPatches, ratio);
        var result = new TrainResult(precision, tf32, batch, steps, seconds, seconds / steps, batch * steps / seconds,
            ModelFlops.PretrainingStep(model, masked) * batch, memory.Bytes(device), first, last);
        Console.Error.WriteLine($"train {precision} tf32={tf32} batch {batch}: {result.StepSeconds * 1000:F1} ms/step, {result.ImagesPerSecond:F1} images/s");
        return JsonSerializer.SerializeToNode(result, Program.Json)!.AsObject();
    }

    /// <summary>
    /// Targets for random images already on the device: HOG of --image² inputs (spec (c): pool 8 and window 16 at
    /// patch 16), or DALL-E token ids of --image² tokenizer views (112 at 224) with random encoder weights.
    /// </summary>
    public static JsonObject Tokens(Options options, Device device)
    {
        string kind = options.Text("kind", "hog");
        int batch = options.Int("batch", 64);
        int image = options.Int("image", kind == "hog" ? 224 : 112);
        int patch = options.Int("patch", 16);
        int iterations = options.Int("iterations", 20);
        int warmup = options.Int("warmup", 3);
        var dalle = new DalleEncoderConfig { HiddenChannels = options.Int("dalle-hidden", 256), VocabSize = options.Int("vocab", 8192) };
        options.EnsureAllRead();

        using var generator = new Generator(5);
        using var cpuImages = rand([batch, 3, image, image], generator: generator);
        using var images = cpuImages.to(device);
        Func<Tensor, Tensor> compute;
        DalleEncoder? encoder = null;
        if (kind == "hog")
        {
            var hog = new HogTargetGenerator(patch == 16 ? new HogConfig() : HogConfig.ForPatch(patch));
            compute = hog.Compute;
        }
        else if (kind == "dalle")
        {
            random.manual_seed(5);
            encoder = new DalleEncoder(dalle);
            encoder.to(device).eval();
            compute = encoder.Tokenize;
        }
        else
        {
            throw new ArgumentException($"kind must be hog or dalle (got '{kind}')");
        }
        using (encoder)
        {
            for (int i = 0; i < warmup; i++)
            {
                compute(images).Dispose();
            }
            RandomWorkload.Synchronize(device);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                compute(images).Dispose();
            }
            RandomWorkload.Synchronize(device);
            double seconds = clock.Elapsed.TotalSeconds;
            var result = new TokensResult(kind, batch, image, iterations, seconds, batch * iterations / seconds);
            Console.Error.WriteLine($"tokens {kind} batch {batch} at {image}: {result.ImagesPerSecond:F1} images/s");
            return JsonSerializer.SerializeToNode(result, Program.Json)!.AsObject();
        }
    }
}
