using System.Text.Json;

namespace SemanticMIM.Benchmarks;

/// <summary>
/// What one side process measured: the seconds of every warm-up and timed step, the resident memory after every
/// step (warm-up included, so growth shows), the process's peak resident memory (VmHWM) and side figures such as
/// bytes per stored image. Both sides write this shape.
/// </summary>
public sealed record SideRun
{
    /// <summary><c>project</c> or <c>peer</c>.</summary>
    public required string Side { get; init; }

    public required string Description { get; init; }

    public required int ItemsPerStep { get; init; }

    public required IReadOnlyList<double> WarmupSeconds { get; init; }

    public required IReadOnlyList<double> StepSeconds { get; init; }

    public required IReadOnlyList<long> RssAfterStepBytes { get; init; }

    public required long VmHwmBytes { get; init; }

    public required int Threads { get; init; }

    public IReadOnlyDictionary<string, string> Versions { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, JsonElement> Extra { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Order of this process among all the suite's side processes (1-based), set by the suite.</summary>
    public int Order { get; init; }

    /// <summary>
    /// The timed steps' total time over their count. Not the median: a prefetching loader's steps alternate between a
    /// wait and a batch that was ready, so only the total measures the rate it sustains.
    /// </summary>
    public double MeanStepSeconds => StepSeconds.Sum() / StepSeconds.Count;

    /// <summary>Items per second over the timed steps.</summary>
    public double Rate => ItemsPerStep / MeanStepSeconds;

    /// <summary>Resident memory growth from the end of the second step to the end of the last (0 with fewer steps).</summary>
    /// <summary>
    /// The <see cref="Extra"/> of a training side holding its timed steps' phases: seconds per step under "data",
    /// "forward" (forward pass and loss), "backward" and "update" (the rest: zeroing, masks, clipping, optimizer step).
    /// </summary>
    public const string PhaseSecondsExtra = "phaseSeconds";

    /// <summary>The medians of <see cref="PhaseSecondsExtra"/> by phase, or null when this run did not record them.</summary>
    public IReadOnlyDictionary<string, double>? PhaseMedians() =>
        Extra.TryGetValue(PhaseSecondsExtra, out var phases)
            ? phases.EnumerateObject().ToDictionary(phase => phase.Name, phase => Statistics.Median([.. phase.Value.EnumerateArray().Select(v => v.GetDouble())]), StringComparer.Ordinal)
            : null;

    public long GrowthAfterSecondStepBytes => RssAfterStepBytes.Count > 2 ? RssAfterStepBytes[^1] - RssAfterStepBytes[1] : 0;

    public static SideRun Read(string path) =>
        JsonSerializer.Deserialize<SideRun>(File.ReadAllText(path), SideSpec.Json) ?? throw new InvalidDataException($"{path} holds no side result");

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, SideSpec.Json));
}

/// <summary>Medians and ranges of measured figures.</summary>
public static class Statistics
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static FigureRange Range(IReadOnlyList<double> values) => new(Median(values), values.Min(), values.Max());
}

/// <summary>A figure over several runs: median, smallest and largest.</summary>
public sealed record FigureRange(double Median, double Min, double Max)
{
    /// <summary>Whether the range lies on both sides of <paramref name="goal"/>, so more pairs are worth running.</summary>
    public bool Straddles(double goal) => Min < goal && Max > goal;
}
