using System.Globalization;
using System.Text;
using static System.FormattableString;

namespace SemanticMIM.Benchmarks;

/// <summary>What to plan for: the data set's size, the epochs of pretraining, and the machines.</summary>
public sealed record CapacityQuestion
{
    /// <summary>ImageNet-1K's training images.</summary>
    public long TrainImages { get; init; } = 1_281_167;

    /// <summary>ImageNet-1K's validation images.</summary>
    public long ValidationImages { get; init; } = 50_000;

    public required int Epochs { get; init; }

    /// <summary>CPU workers, each like the machine the CPU suite ran on (its threads).</summary>
    public required int Workers { get; init; }

    /// <summary>GPUs, each like the GPU check's; 0 plans every stage on CPU workers.</summary>
    public required int Gpus { get; init; }
}

/// <summary>One stage's plan: the work, the rate (a range) and where it was measured, the hours (a range) and the bytes.</summary>
public sealed record StagePlan(string Stage, string Work, double Images, FigureRange Rate, string Source, int Units, string UnitName,
    FigureRange Hours, string Bytes);

/// <summary>
/// Hours and bytes per stage for ImageNet-1K from measured rates (<c>semanticmim capacity</c>). Each stage's rate is
/// the project's images per second of the matching pair, min to max over the suite's pairs, taken from a GPU check's
/// results where one was given and GPUs are planned (issue 15 writes the same JSON shape), else from the CPU suite;
/// hours = images / (rate · units), so the slowest measured rate gives the longest time. Perfect scaling across
/// units is assumed: a lower bound on real hours.
/// </summary>
public static class Capacity
{
    public static IReadOnlyList<StagePlan> Plan(IReadOnlyList<SuiteResult> results, CapacityQuestion question)
    {
        var cpu = results.Where(r => r.Machine.Device == "cpu").ToList();
        var gpu = results.Where(r => r.Machine.Device != "cpu").ToList();
        if (cpu.Count == 0 && gpu.Count == 0)
        {
            throw new ArgumentException("no suite results", nameof(results));
        }
        long all = question.TrainImages + question.ValidationImages;
        var stages = new List<StagePlan>();
        void Add(string stage, string work, double images, PairKind kind, Func<PairResult, bool> pick, bool gpuCapable, Func<PairResult, string> bytes)
        {
            bool onGpu = gpuCapable && question.Gpus > 0 && Find(gpu, kind, pick) is not null;
            var found = Find(onGpu ? gpu : cpu, kind, pick) ?? Find(cpu.Concat(gpu).ToList(), kind, pick);
            if (found is not { } measured)
            {
                return;
            }
            onGpu = measured.Suite.Machine.Device != "cpu";
            int units = onGpu ? Math.Max(1, question.Gpus) : question.Workers;
            var rate = measured.Pair.Summary.ProjectRate;
            var hours = new FigureRange(images / (rate.Median * units) / 3600, images / (rate.Max * units) / 3600, images / (rate.Min * units) / 3600);
            stages.Add(new StagePlan(stage, work, images, rate, Source(measured.Suite, measured.Pair), units, onGpu ? "GPUs" : "CPU workers", hours,
                bytes(measured.Pair)));
        }
        Add("shard", Invariant($"{all:N0} images (train + val): decode, shorter side 256, JPEG, tar"), all, PairKind.Shard, _ => true, false,
            p => StoredBytes(p, all));
        Add("targets (HOG)", Invariant($"{question.TrainImages:N0} training images × 2 views"), question.TrainImages, PairKind.Hog, _ => true, true,
            p => StoredBytes(p, question.TrainImages));
        Add("targets (DALL-E tokens, BEiT)", Invariant($"{question.TrainImages:N0} training images × 2 views"), 2.0 * question.TrainImages, PairKind.Dalle, _ => true, true,
            _ => "not measured");
        Add("pretrain", Invariant($"{question.Epochs} epochs × {question.TrainImages:N0} images, SemanticMIM"), (double)question.Epochs * question.TrainImages,
            PairKind.Train, p => p.Name.StartsWith("train-semanticmim", StringComparison.Ordinal), true, CheckpointBytes);
        Add("evaluation (probe features)", Invariant($"{all:N0} images, one eval forward each"), all, PairKind.Features, _ => true, true,
            p => p.Summary.StoredBytesPerImage is null ? "not measured" : StoredBytes(p, all) + " of features held (precomputed probe)");
        return stages;
    }

    public static string Format(IReadOnlyList<StagePlan> stages, CapacityQuestion question)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(c,
            $"ImageNet-1K: {question.TrainImages:N0} training and {question.ValidationImages:N0} validation images, {question.Epochs} epochs, {question.Workers} CPU workers, {question.Gpus} GPUs"));
        text.AppendLine();
        text.AppendLine("| stage | work | measured rate per unit (source) | units | hours (median; fastest–slowest rate) | bytes |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var s in stages)
        {
            text.AppendLine(string.Create(c,
                $"| {s.Stage} | {s.Work} | {s.Rate.Median:G3} img/s ({s.Rate.Min:G3}–{s.Rate.Max:G3}; {s.Source}) | {s.Units} {s.UnitName} | {Hours(s.Hours.Median)} ({Hours(s.Hours.Min)}–{Hours(s.Hours.Max)}) | {s.Bytes} |"));
        }
        return text.ToString();
    }

    private static (SuiteResult Suite, PairResult Pair)? Find(IReadOnlyList<SuiteResult> results, PairKind kind, Func<PairResult, bool> pick) =>
        results.SelectMany(r => r.Pairs.Where(p => p.Kind == kind && pick(p))
                .Select(p => (Suite: r, Pair: p)))
            // The largest model measured is the one that plans the paper's (ViT-B over ViT-S).
            .OrderByDescending(m => m.Pair.Preset == "base")
            .Cast<(SuiteResult, PairResult)?>()
            .FirstOrDefault();

    private static string Source(SuiteResult suite, PairResult pair)
    {
        var machine = suite.Machine;
        string where = machine.Device == "cpu"
            ? Invariant($"CPU measured here: {machine.Cpu.Model}, {machine.Threads} threads")
            : $"GPU: {machine.Gpu ?? machine.Device}";
        string model = pair.Preset is { } preset ? $", {(preset == "base" ? "ViT-B/16" : "ViT-S/16")}" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{where}{model}, {suite.Mode} suite {suite.Started:yyyy-MM-dd}, {pair.Summary.Pairs} runs");
    }

    private static string StoredBytes(PairResult pair, double images) =>
        pair.Summary.StoredBytesPerImage is { } perImage
            ? string.Create(CultureInfo.InvariantCulture, $"{Size(perImage.Median * images)} ({perImage.Median / 1024:F1} KiB/image)")
            : "not measured";

    // fp32 weights and AdamW's two moments per checkpoint (what a resume needs).
    private static string CheckpointBytes(PairResult pair) =>
        pair.Project[0].Extra.TryGetValue("parameters", out var parameters)
            ? $"{Size(parameters.GetDouble() * 12)} per checkpoint (weights + AdamW moments, fp32)"
            : "not measured";

    private static string Size(double bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB"];
        int unit = 0;
        while (bytes >= 1000 && unit < units.Length - 1)
        {
            bytes /= 1000;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{bytes:G3} {units[unit]}");
    }

    private static string Hours(double hours) => hours < 10 ? Invariant($"{hours:F2} h") : Invariant($"{hours:N0} h");
}
