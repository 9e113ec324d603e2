using System.Globalization;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning.Statistics;

namespace SemanticMIM.Planning;

/// <summary>What one cell of a sweep produced: its results, the ids of the work it used and what that work cost.</summary>
public sealed record SweepCellOutcome(SweepCell Cell, string TargetsId, string PretrainingId, IReadOnlyList<EvaluationResult> Results, SweepCellCost Cost);

/// <summary>
/// What a cell's targets and pretraining cost: its optimizer steps and the seconds they took (the sum of the training log's
/// step times, which include waiting for data but not checkpoints), the bytes of its stored targets and the seconds
/// computing them took (null when not recorded; both 0 for targets computed online). Cells sharing a target set each
/// show its whole cost.
/// </summary>
public sealed record SweepCellCost(int Steps, double TrainingSeconds, long TargetBytes, double? TargetSeconds)
{
    public double? StepsPerSecond => TrainingSeconds > 0 ? Steps / TrainingSeconds : null;

    /// <summary>Computing the targets and training on them.</summary>
    public double? TotalSeconds => TargetSeconds + TrainingSeconds;

    /// <param name="imagesPerStep">Images per optimizer step, which each log point's images per second are of.</param>
    public static SweepCellCost Of(IReadOnlyList<TrainingPoint> log, int imagesPerStep, long targetBytes, double? targetSeconds)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new SweepCellCost(log.Count, log.Where(p => p.ImagesPerSecond > 0).Sum(p => imagesPerStep / p.ImagesPerSecond), targetBytes, targetSeconds);
    }
}

/// <summary>
/// One cell's number: its seed, the metric's value (null when the cell has no such result), the shared work's ids and
/// what the cell's targets and pretraining cost.
/// </summary>
public sealed record SweepCellValue(string Name, int Seed, double? Value, int? Layer, string TargetsId, string PretrainingId, SweepCellCost Cost);

/// <summary>The cells that differ only in their seed: the arm, the axes' values, each seed's value and their summary.</summary>
public sealed record SweepGroup(string Label, string Arm, IReadOnlyDictionary<string, string> Point, IReadOnlyList<SweepCellValue> Cells, SampleSummary? Summary);

/// <summary>A group's metric at one layer: the summary over its seeds, for the per-layer plot.</summary>
public sealed record SweepLayerPoint(string Group, int Layer, SampleSummary Summary);

/// <summary>A group against the reference group (the first), paired by seed.</summary>
public sealed record SweepComparison(string A, string B, IReadOnlyList<int> Seeds, PairedComparison? Paired);

/// <summary>
/// A sweep's results as its report (Markdown, JSON, plots) shows them: the metric per cell, each group's mean with a
/// Student-t interval over its seeds, and every other group against the first, paired by seed (mean difference with a
/// t-interval, a seeded percentile bootstrap from five pairs on, and the pairs favouring each side).
/// </summary>
public sealed record SweepSummary
{
    public required string Name { get; init; }

    public required string Metric { get; init; }

    public required IReadOnlyList<int> Seeds { get; init; }

    /// <summary>Which seeds varied between a group's cells: training.seed alone, or the view seed too.</summary>
    public required string VariedSeeds { get; init; }

    public required IReadOnlyList<string> Axes { get; init; }

    public required IReadOnlyList<SweepGroup> Groups { get; init; }

    public required IReadOnlyList<SweepComparison> Comparisons { get; init; }

    /// <summary>The metric's protocol, feature and metric at every layer each group has, over its seeds.</summary>
    public required IReadOnlyList<SweepLayerPoint> Layers { get; init; }

    /// <summary>The same summary for each of the sweep's further metrics (<see cref="SweepSpec.AlsoReport"/>).</summary>
    public IReadOnlyList<SweepSummary> Also { get; init; } = [];

    /// <summary>Each group's mean and interval as the sweep's events carry them.</summary>
    public IReadOnlyList<SweepGroupResult> GroupResults() => Groups.Select(g => new SweepGroupResult
    {
        Label = g.Label, Count = g.Summary?.Count ?? 0, Mean = g.Summary?.Mean, Low = g.Summary?.Low, High = g.Summary?.High,
    }).ToList();

    /// <summary>The seed of every bootstrap, so that anyone can redraw the intervals.</summary>
    public const int BootstrapSeed = 20240601;

    public static SweepSummary Of(SweepSpec sweep, IReadOnlyList<SweepCellOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(outcomes);
        return Of(sweep, sweep.Metric, outcomes) with
        {
            Also = [.. sweep.AlsoReport.Select(metric => Of(sweep, metric, outcomes))],
        };
    }

    private static SweepSummary Of(SweepSpec sweep, SweepMetric metric, IReadOnlyList<SweepCellOutcome> outcomes)
    {
        var groups = outcomes.GroupBy(o => o.Cell.Group, StringComparer.Ordinal).Select(g =>
        {
            var cells = g.Select(o => Value(metric, o)).ToList();
            var values = cells.Where(c => c.Value is not null).Select(c => c.Value!.Value).ToList();
            var first = g.First().Cell;
            return new SweepGroup(g.Key.Length > 0 ? g.Key : "base", first.Arm, first.Point.ToDictionary(p => p.Path, p => p.Value, StringComparer.Ordinal),
                cells, values.Count > 0 ? SampleSummary.Of(values) : null);
        }).ToList();
        var comparisons = groups.Skip(1).Select(group => Compare(group, groups[0])).ToList();
        return new SweepSummary
        {
            Name = sweep.Name,
            Metric = metric.ToString(),
            Seeds = sweep.Seeds,
            VariedSeeds = sweep.ViewSeed == ViewSeedMode.PerSeed ? "training.seed and augmentation.seed (views and targets per seed)"
                : "training.seed only (augmentation.seed fixed: every seed shares the views and targets)",
            Axes = sweep.Axes.Select(a => a.Path).ToList(),
            Groups = groups,
            Comparisons = comparisons,
            Layers = LayerPoints(metric, outcomes),
        };
    }

    private static List<SweepLayerPoint> LayerPoints(SweepMetric metric, IReadOnlyList<SweepCellOutcome> outcomes) =>
        [.. outcomes.GroupBy(o => o.Cell.Group, StringComparer.Ordinal).SelectMany(g => g
            .SelectMany(o => Candidates(metric, o.Results))
            .GroupBy(r => r.Layer)
            .OrderBy(layer => layer.Key)
            .Select(layer => new SweepLayerPoint(g.Key.Length > 0 ? g.Key : "base", layer.Key, SampleSummary.Of([.. layer.Select(r => r.Value)]))))];

    private static List<EvaluationResult> Candidates(SweepMetric metric, IEnumerable<EvaluationResult> results) =>
        [.. results.Where(r => r.Encoder == EncoderKinds.Pretrained && r.Protocol == metric.Protocol
            && r.Feature == metric.Feature && r.Metric == metric.Metric)];

    private static SweepComparison Compare(SweepGroup a, SweepGroup b)
    {
        var pairs = a.Cells.Where(c => c.Value is not null)
            .Join(b.Cells.Where(c => c.Value is not null), c => c.Seed, c => c.Seed, (x, y) => (x.Seed, A: x.Value!.Value, B: y.Value!.Value))
            .OrderBy(p => p.Seed).ToList();
        var paired = pairs.Count > 0 ? PairedComparison.Of(pairs.Select(p => (p.A, p.B)).ToList(), seed: BootstrapSeed) : null;
        return new SweepComparison(a.Label, b.Label, pairs.Select(p => p.Seed).ToList(), paired);
    }

    private static SweepCellValue Value(SweepMetric metric, SweepCellOutcome outcome)
    {
        var chosen = Pick(metric, outcome.Results);
        return new SweepCellValue(outcome.Cell.Name, outcome.Cell.Seed, chosen?.Value, chosen?.Layer, outcome.TargetsId, outcome.PretrainingId, outcome.Cost);
    }

    /// <summary>The result that is a cell's number for <paramref name="metric"/>, or null when its results have none.</summary>
    public static EvaluationResult? Pick(SweepMetric metric, IEnumerable<EvaluationResult> results)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(results);
        var candidates = Candidates(metric, results);
        return candidates.Count == 0 ? null
            : metric.Layer == SweepLayer.Best ? candidates.MaxBy(r => r.Value) : candidates.MaxBy(r => r.Layer);
    }

    /// <summary>Whether every value of an axis reads as a number, so that the metric can be plotted against it.</summary>
    public static bool IsNumeric(SweepAxis axis)
    {
        ArgumentNullException.ThrowIfNull(axis);
        return axis.Values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
    }
}
