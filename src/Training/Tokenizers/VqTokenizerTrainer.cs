using SemanticMIM.Model.Targets;
using static TorchSharp.torch;

namespace SemanticMIM.Training.Tokenizers;

/// <summary>The recipe for training the project's own <see cref="VqTokenizer"/>.</summary>
public sealed record VqTrainingOptions
{
    /// <summary>Adam updates, one batch each.</summary>
    public int Steps { get; init; } = 300;

    public int BatchSize { get; init; } = 128;

    /// <summary>Adam's constant learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Codes no training batch used in this many steps are restarted (0: never).</summary>
    public int RestartEvery { get; init; } = 50;

    /// <summary>Seeds torch's global generator before the first step and the dedicated restart generator.</summary>
    public long Seed { get; init; }

    /// <summary>Every problem with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                problems.Add(problem);
            }
        }

        Require(Steps > 0, $"{nameof(Steps)} must be positive (got {Steps})");
        Require(BatchSize > 0, $"{nameof(BatchSize)} must be positive (got {BatchSize})");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"{nameof(LearningRate)} must be positive and finite (got {LearningRate})");
        Require(RestartEvery >= 0, $"{nameof(RestartEvery)} must not be negative (0 is never; got {RestartEvery})");
        return problems;
    }

    /// <summary>Throws with every problem listed when the options are invalid.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid tokenizer training options: " + string.Join("; ", problems));
        }
    }
}

/// <summary>
/// Trains the project's small VQ-VAE tokenizer on the data set, the BEiT-target path where DALL-E weights are
/// not at hand (spec (c) deviation): Adam on the VQ-VAE loss, one dispose scope per step, and every
/// <see cref="VqTrainingOptions.RestartEvery"/> steps the codes no batch used in that window are restarted from
/// encoder outputs of the current batch. Then the tokenizer is evaluated on held-out images.
/// </summary>
public static class VqTokenizerTrainer
{
    /// <summary>
    /// Trains <paramref name="tokenizer"/> in place and evaluates it on <paramref name="evaluationImages"/>
    /// (B, C, H, W) in [0, 1], which the caller keeps owning. <paramref name="nextBatch"/>(step) is called with
    /// the 0-based step and must return a fresh batch (B, C, H, W) in [0, 1] at the tokenizer's input size; the
    /// trainer owns it and disposes it at the end of that step. The tokenizer is left in eval mode.
    /// </summary>
    /// <exception cref="NonFiniteLossException">A step's loss is NaN or infinite; that update was not applied.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled (checked between steps).</exception>
    public static VqTokenizerReport Train(VqTokenizer tokenizer, Func<int, Tensor> nextBatch, VqTrainingOptions options,
        Tensor evaluationImages, IProgress<VqTrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(nextBatch);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(evaluationImages);
        options.EnsureValid();
        CheckImages(tokenizer, evaluationImages, nameof(evaluationImages));

        int vocabulary = tokenizer.VocabSize;
        double finalLoss = double.NaN;
        random.manual_seed(options.Seed);
        using var restartGenerator = new Generator(unchecked((ulong)options.Seed));
        using var optimizer = optim.Adam(tokenizer.parameters(), options.LearningRate);
        // Per-code usage over the current restart window; lives across the per-step scopes.
        using var windowCounts = zeros(vocabulary, ScalarType.Int64);
        tokenizer.train();
        try
        {
            for (int step = 1; step <= options.Steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var images = nextBatch(step - 1);
                CheckImages(tokenizer, images, "the batch");
                var loss = tokenizer.Loss(images);
                double total = loss.Total.ToDouble();
                if (!double.IsFinite(total))
                {
                    throw new NonFiniteLossException(step, total);
                }
                optimizer.zero_grad();
                loss.Total.backward();
                optimizer.step();
                finalLoss = total;

                windowCounts.add_(loss.Codes.flatten().bincount(null, vocabulary));
                int codesUsed = (int)windowCounts.count_nonzero().ToInt64();
                progress?.Report(new VqTrainingProgress(step, options.Steps, total, loss.Reconstruction.ToDouble(), codesUsed));
                if (options.RestartEvery > 0 && step % options.RestartEvery == 0 && step < options.Steps)
                {
                    tokenizer.RestartUnusedCodes(images, windowCounts, restartGenerator);
                    windowCounts.zero_();
                }
            }
        }
        finally
        {
            tokenizer.eval();
        }
        return Evaluate(tokenizer, evaluationImages, options.BatchSize) with { Steps = options.Steps, FinalLoss = finalLoss };
    }

    /// <summary>
    /// Reconstruction MSE and code statistics of <paramref name="tokenizer"/> on <paramref name="images"/>, in
    /// batches of <paramref name="batchSize"/>, without gradients; Steps is 0 and FinalLoss NaN.
    /// </summary>
    public static VqTokenizerReport Evaluate(VqTokenizer tokenizer, Tensor images, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        CheckImages(tokenizer, images, nameof(images));

        int vocabulary = tokenizer.VocabSize;
        long count = images.shape[0];
        double squaredError = 0;
        var histogram = new long[vocabulary];
        using var noGrad = no_grad();
        for (long start = 0; start < count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = images.narrow(0, start, Math.Min(batchSize, count - start));
            // One encoder pass for both: Loss's codes are Tokenize's and its reconstruction is forward's.
            var loss = tokenizer.Loss(batch);
            squaredError += (loss.Reconstructed - batch).square().sum(ScalarType.Float64).ToDouble();
            var counts = loss.Codes.flatten().bincount(null, vocabulary).data<long>().ToArray();
            for (int code = 0; code < vocabulary; code++)
            {
                histogram[code] += counts[code];
            }
        }
        var (codesUsed, perplexity) = CodeStatistics(histogram);
        return new VqTokenizerReport(0, squaredError / images.numel(), codesUsed, vocabulary, perplexity, double.NaN);
    }

    /// <summary>Distinct codes of a histogram and exp of its entropy (natural log).</summary>
    public static (int CodesUsed, double Perplexity) CodeStatistics(IReadOnlyList<long> histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        double total = histogram.Sum();
        double entropy = 0;
        int used = 0;
        foreach (long n in histogram)
        {
            if (n > 0)
            {
                used++;
                double p = n / total;
                entropy -= p * Math.Log(p);
            }
        }
        return (used, Math.Exp(entropy));
    }

    private static void CheckImages(VqTokenizer tokenizer, Tensor images, string what)
    {
        int factor = tokenizer.DownsampleFactor;
        if (images.dim() != 4 || images.shape[0] == 0 || images.shape[1] != tokenizer.Config.InputChannels
            || images.shape[2] % factor != 0 || images.shape[3] % factor != 0 || images.shape[2] == 0 || images.shape[3] == 0)
        {
            throw new ArgumentException(
                $"{what} must be a non-empty (B, {tokenizer.Config.InputChannels}, H, W) batch with H and W positive multiples of {factor}; got ({string.Join(", ", images.shape)})");
        }
    }
}
