using System.Globalization;
using System.Text;
using System.Text.Json;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Statistics;

namespace SemanticMIM.Evaluation.Reports;

/// <summary>
/// Writes a sweep's report into a folder: <c>sweep.json</c> (the <see cref="SweepSummary"/>), <c>report.md</c> (a row
/// per group with its mean and 95% t-interval over seeds, the paired comparisons, the method) and, per numeric axis,
/// <c>metric-vs-&lt;axis&gt;.png</c>: the metric against the axis with t-interval error bars (from three seeds on), one line per
/// other setting.
/// </summary>
public static class SweepReport
{
    public const string JsonFile = "sweep.json";

    /// <summary>Fewer seeds give an interval too wide and too unstable to draw: the plots show error bars from three on.</summary>
    public const int MinSeedsForErrorBars = 3;

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The groups and comparisons of every metric, alone: what the README's demo table is regenerated from.</summary>
    public const string TablesFile = "tables.md";

    public const string LayersPlotFile = "metric-per-layer.png";

    public static void Write(string folder, SweepSpec sweep, SweepSummary summary)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(summary);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, JsonFile), JsonSerializer.Serialize(summary, Json));
        var plots = sweep.Axes.Where(SweepSummary.IsNumeric).Select(axis => (Axis: axis, File: $"metric-vs-{PlotName(axis.Path)}.png")).ToList();
        foreach (var (axis, file) in plots)
        {
            Plot(Path.Combine(folder, file), summary, axis);
        }
        bool perLayer = summary.Layers.Select(p => p.Layer).Distinct().Count() > 1;
        if (perLayer)
        {
            PlotLayers(Path.Combine(folder, LayersPlotFile), summary);
        }

        var tables = new StringBuilder();
        foreach (var metric in new[] { summary }.Concat(summary.Also))
        {
            WriteTables(tables, metric);
        }
        tables.AppendLine(CultureInfo.InvariantCulture, $"Seeds: {string.Join(", ", summary.Seeds)}; varied between a group's runs: {summary.VariedSeeds}. "
            + $"Intervals: 95% Student-t over seeds. Differences in points (group − reference) on the same seed; bootstrap: "
            + $"{PairedComparison.BootstrapMethod}, {PairedComparison.DefaultResamples} resamples, seed {SweepSummary.BootstrapSeed}.");
        File.WriteAllText(Path.Combine(folder, TablesFile), tables.ToString());

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Sweep report: {summary.Name}");
        text.AppendLine();
        text.Append(tables);
        text.AppendLine();
        foreach (var (axis, file) in plots)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"## Against {axis.Path}");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![{axis.Path}]({file})");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Error bars: the 95% t-interval, drawn for points with at least {MinSeedsForErrorBars} seeds.");
            text.AppendLine();
        }
        if (perLayer)
        {
            text.AppendLine("## Per layer");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![per layer]({LayersPlotFile})");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"{summary.Metric.Split(',')[0]} at every layer, mean over seeds; error bars as above.");
            text.AppendLine();
        }
        text.AppendLine("## Cells");
        text.AppendLine();
        text.AppendLine("| cell | seed | value | layer | steps/s | training | computing targets | stored targets | total | targets | pretraining |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var cell in summary.Groups.SelectMany(g => g.Cells))
        {
            var cost = cell.Cost;
            text.AppendLine(CultureInfo.InvariantCulture, $"| {cell.Name} | {cell.Seed} | {Percent(cell.Value)} | {cell.Layer?.ToString(CultureInfo.InvariantCulture) ?? "–"} | "
                + $"{Number(cost.StepsPerSecond, "0.00")} | {Seconds(cost.TrainingSeconds)} | {Seconds(cost.TargetSeconds)} | {Bytes(cost.TargetBytes)} | {Seconds(cost.TotalSeconds)} | "
                + $"{cell.TargetsId} | {cell.PretrainingId} |");
        }
        text.AppendLine();
        text.AppendLine("Steps/s and training: the optimizer steps over the sum of their times in the training log (waiting for data included, "
            + "checkpoints not). Computing targets and stored targets: the cell's target set (0 with target.views: 0, whose targets are computed "
            + "on every step); cells sharing a set each show all of it. Total: both times.");
        File.WriteAllText(Path.Combine(folder, "report.md"), text.ToString());
    }

    /// <summary>One metric's table of groups (mean, t-interval, each seed) and its paired comparisons against the first group.</summary>
    private static void WriteTables(StringBuilder text, SweepSummary summary)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"### {summary.Metric} of the pretrained encoder");
        text.AppendLine();
        text.AppendLine("| group | n | mean | 95% t-interval | per seed |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var group in summary.Groups)
        {
            var s = group.Summary;
            string perSeed = string.Join(", ", group.Cells.Select(c => $"{c.Seed}: {Percent(c.Value)}"));
            string interval = s?.Low is null ? "– (one seed)" : $"[{Percent(s.Low)}, {Percent(s.High)}]";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Label} | {s?.Count ?? 0} | {Percent(s?.Mean)} | {interval} | {perSeed} |");
        }
        text.AppendLine();
        if (summary.Comparisons.Count == 0)
        {
            return;
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"Paired by seed, against {summary.Groups[0].Label}:");
        text.AppendLine();
        text.AppendLine("| group | pairs | mean difference | 95% t-interval | bootstrap 95% interval | favour group / reference / tie |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var comparison in summary.Comparisons)
        {
            var p = comparison.Paired;
            string t = p?.Difference.Low is null ? "–" : $"[{Points(p.Difference.Low)}, {Points(p.Difference.High)}]";
            string bootstrap = p?.Bootstrap is { } b ? $"[{Points(b.Low)}, {Points(b.High)}]" : $"– (fewer than {PairedComparison.MinPairsForBootstrap} pairs)";
            string sides = p is null ? "–" : $"{p.FavourA} / {p.FavourB} / {p.Ties}";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {comparison.A} | {comparison.Seeds.Count} | {Points(p?.Difference.Mean)} | {t} | {bootstrap} | {sides} |");
        }
        text.AppendLine();
    }

    /// <summary>The metric at every layer, a line per group with t-interval error bars: integer layer ticks, the legend beside the data.</summary>
    private static void PlotLayers(string path, SweepSummary summary)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in summary.Layers.GroupBy(p => p.Group, StringComparer.Ordinal))
        {
            double[] xs = [.. group.Select(p => (double)p.Layer)];
            double[] ys = [.. group.Select(p => 100 * p.Summary.Mean)];
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = group.Key;
            var errors = plot.Add.ErrorBar(xs, ys, [.. group.Select(p => p.Summary.Count >= MinSeedsForErrorBars ? 100 * (p.Summary.HalfWidth ?? 0) : 0)]);
            errors.Color = scatter.Color;
        }
        ReportPlots.LayerTicks(plot, summary.Layers.Select(p => p.Layer));
        plot.Title($"{summary.Name}: {summary.Metric.Split(',')[0]} per layer (mean, 95% t-interval over seeds)");
        plot.XLabel("layer");
        plot.YLabel($"{summary.Metric.Split(',')[0]} (%)");
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1000, 450);
    }

    private static void Plot(string path, SweepSummary summary, SweepAxis axis)
    {
        var plot = new ScottPlot.Plot();
        var series = summary.Groups.Where(g => g.Summary is not null)
            .GroupBy(g => string.Join(", ", (g.Arm.Length > 0 ? [g.Arm] : Array.Empty<string>()).Concat(g.Point.Where(p => p.Key != axis.Path).Select(p => $"{p.Key}={p.Value}"))),
                StringComparer.Ordinal);
        foreach (var line in series)
        {
            var points = line.Select(g => (X: double.Parse(g.Point[axis.Path], CultureInfo.InvariantCulture), Summary: g.Summary!)).OrderBy(p => p.X).ToList();
            double[] xs = [.. points.Select(p => p.X)];
            double[] ys = [.. points.Select(p => 100 * p.Summary.Mean)];
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = line.Key.Length > 0 ? line.Key : summary.Name;
            var errors = plot.Add.ErrorBar(xs, ys, [.. points.Select(p => p.Summary.Count >= MinSeedsForErrorBars ? 100 * (p.Summary.HalfWidth ?? 0) : 0)]);
            errors.Color = scatter.Color;
        }
        // Ticks at the swept values themselves, so P = 2, 4, 8, 16 reads as such and never as 2.5.
        var values = axis.Values.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).Order().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(values, [.. values.Select(v => v.ToString("G", CultureInfo.InvariantCulture))]);
        plot.Title($"{summary.Name}: {summary.Metric} against {axis.Path} (mean, 95% t-interval over seeds)");
        plot.XLabel(axis.Path);
        plot.YLabel($"{summary.Metric} (%)");
        // Outside the data area, where it hides no point.
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1000, 450);
    }

    private static string PlotName(string path) =>
        string.Join('-', string.Concat(path.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')).Split('-', StringSplitOptions.RemoveEmptyEntries));

    private static string Number(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Seconds(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "–";

    private static string Bytes(long bytes) => (bytes / 1048576.0).ToString("0.00", CultureInfo.InvariantCulture) + " MiB";

    private static string Percent(double? value) => value is { } v ? (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Points(double? value) => value is { } v ? (100 * v).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) : "–";
}
