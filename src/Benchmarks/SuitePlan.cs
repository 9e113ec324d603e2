using System.Globalization;

namespace SemanticMIM.Benchmarks;

/// <summary>How much the suite measures.</summary>
public enum SuiteMode
{
    /// <summary>One step of every pair, once: proves the suite runs (CI, under 2 minutes).</summary>
    Smoke,

    /// <summary>ViT-S/16 training and every stage pair at small counts (under 10 minutes on 2 cores).</summary>
    Quick,

    /// <summary>Quick's pairs with more steps, plus ViT-B/16 training.</summary>
    Full,
}

/// <summary>The data set the suite generates for a mode: classes × images, shard size.</summary>
public sealed record SuiteData(int Classes, int TrainPerClass, int ValidationPerClass, int ShardSize)
{
    public int TrainImages => Classes * TrainPerClass;
}

/// <summary>
/// One pair of the suite: what both sides do per step and how many steps; <see cref="Model"/> names the experiment
/// spec the project plans from (method and preset) for the pairs that need one.
/// </summary>
public sealed record PairPlan(string Name, PairKind Kind, string Title, int Batch, int Warmup, int Steps, BenchmarkModel? Model)
{
    public bool HasPeer => Kind != PairKind.Shard;
}

/// <summary>
/// A pretraining model of the suite: method and preset, with the paper's proxies and mask ratio for the method;
/// <see cref="Depth"/> replaces the preset's depth (the smoke's two blocks keep CI short and still run every path).
/// </summary>
public sealed record BenchmarkModel(string Method, string Preset, int? Depth = null)
{
    public bool IsSemanticMim => Method == "semanticMim";

    public int Proxies => IsSemanticMim ? 8 : 1;

    public double MaskRatio => IsSemanticMim ? 0.6 : 0.4;

    /// <summary>The benchmark's experiment spec: the data at 224, HOG targets with 2 views, this method's proxies and mask ratio.</summary>
    public string SpecYaml(string source, int shardSize) => string.Create(CultureInfo.InvariantCulture, $"""
        name: bench-{Name}
        dataset: {"{"} kind: imageNet, source: "{source}", imageSize: 224, channels: 3, shardSize: {shardSize} {"}"}
        method: {Method}
        target: {"{"} kind: hog, views: 2 {"}"}
        model: {"{"} preset: {Preset}, proxies: {Proxies}{(Depth is { } depth ? $", depth: {depth}" : "")} {"}"}
        masking: {"{"} kind: random, ratio: {MaskRatio} {"}"}
        training: {"{"} steps: 1000, batchSize: 8, learningRate: 1.5e-3, weightDecay: 0.05, gradClip: 3.0, seed: 0, checkpointEvery: 0 {"}"}
        augmentation: {"{"} minScale: 0.5, maxScale: 1.0, flip: true {"}"}
        """);

    public string Name => $"{(IsSemanticMim ? "semanticmim" : "baseline")}-{(Preset == "base" ? "vit-b16" : "vit-s16")}{(Depth is { } depth ? $"-depth{depth}" : "")}";
}

/// <summary>The pairs and data of each mode, and the goals the issue sets for them.</summary>
public static class SuitePlans
{
    /// <summary>Peak memory of the project's training step at most this multiple of PyTorch's.</summary>
    public const double TrainMemoryGoal = 1.25;

    /// <summary>Every timed pair: the project's time per item at most the peer's.</summary>
    public const double TimeGoal = 1.0;

    /// <summary>Alternating pairs per figure, and the most when the range straddles a goal.</summary>
    public const int Pairs = 3;

    public const int MostPairs = 5;

    /// <summary>The DALL-E tokenizer's input side for ViT-B/16 at 224: 8 × its 14-patch grid (TargetPlan.TokenizerInputSize).</summary>
    public const int DalleInputSize = 112;

    public static SuiteData Data(SuiteMode mode) => mode switch
    {
        SuiteMode.Smoke => new SuiteData(2, 8, 2, 8),
        SuiteMode.Quick => new SuiteData(8, 40, 4, 64),
        _ => new SuiteData(16, 64, 8, 128),
    };

    public static IReadOnlyList<PairPlan> For(SuiteMode mode)
    {
        var data = Data(mode);
        bool full = mode == SuiteMode.Full;
        int? depth = mode == SuiteMode.Smoke ? 2 : null;
        // (batch, warm-up, timed steps) per pair and mode; smoke runs one step of each at the smallest batch that means anything.
        (int Batch, int Warmup, int Steps) Counts((int, int, int) smoke, (int, int, int) quick, (int, int, int) fullCounts) =>
            mode switch { SuiteMode.Smoke => smoke, SuiteMode.Quick => quick, _ => fullCounts };

        var pairs = new List<PairPlan>();
        var presets = full ? new[] { "small", "base" } : ["small"];
        foreach (var preset in presets)
        {
            foreach (var method in new[] { "semanticMim", "baseline" })
            {
                var model = new BenchmarkModel(method, preset, depth);
                var (batch, warmup, steps) = Counts((2, 0, 1), (8, 2, 3), (8, 2, 5));
                pairs.Add(new PairPlan($"train-{model.Name}", PairKind.Train,
                    $"pretraining step, {(model.IsSemanticMim ? "SemanticMIM" : "baseline")} {(preset == "base" ? "ViT-B/16" : "ViT-S/16")}{DepthNote(depth)} at 224, batch {batch}",
                    batch, warmup, steps, model));
            }
        }
        // Both loaders prefetch several batches: only many steps measure the rate they sustain rather than their queues.
        var loader = Counts((16, 0, 1), (64, 3, 30), (64, 3, 60));
        pairs.Add(new PairPlan("loader", PairKind.Loader, $"loader: JPEG decode + view to 224 tensors, batches of {loader.Batch}",
            loader.Batch, loader.Warmup, loader.Steps, new BenchmarkModel("semanticMim", "small")));
        var hog = Counts((4, 0, 1), (16, 1, 2), (32, 1, 3));
        pairs.Add(new PairPlan("hog-targets", PairKind.Hog, $"HOG targets: decode, 2 views at 224, HOG, {hog.Batch} images a step",
            hog.Batch, hog.Warmup, hog.Steps, new BenchmarkModel("semanticMim", "small")));
        var dalle = Counts((1, 0, 1), (4, 1, 2), (8, 1, 3));
        pairs.Add(new PairPlan("dalle-tokens", PairKind.Dalle, $"DALL-E encoder tokens at 112 (ViT-B/16's grid), batch {dalle.Batch}",
            dalle.Batch, dalle.Warmup, dalle.Steps, null));
        var features = Counts((1, 0, 1), (8, 1, 2), (16, 1, 3));
        pairs.Add(new PairPlan("features-vit-b16", PairKind.Features, $"evaluation features, ViT-B/16{DepthNote(depth)} eval forward over every layer, batch {features.Batch}",
            features.Batch, features.Warmup, features.Steps, new BenchmarkModel("semanticMim", "base", depth)));
        var (_, shardWarmup, shardSteps) = Counts((0, 0, 1), (0, 1, 2), (0, 1, 3));
        pairs.Add(new PairPlan("shard", PairKind.Shard, $"sharding: decode 300–500 px JPEGs, shorter side to 256, JPEG, tar; units of {data.ShardSize}",
            data.ShardSize, shardWarmup, shardSteps, new BenchmarkModel("semanticMim", "small")));
        return pairs;
    }

    private static string DepthNote(int? depth) => depth is { } blocks ? $" ({blocks} blocks)" : "";
}
