using System.Globalization;
using System.Text;
using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Evaluation.Reports;

/// <summary>What one arm of a comparison produced: its training curve and its evaluation results.</summary>
public sealed record ArmOutcome(string Name, string Description, IReadOnlyList<TrainingPoint> Training, IReadOnlyList<EvaluationResult> Results);

/// <summary>
/// Writes a Markdown report with PNG plots (loss curves; linear-probe top-1 per layer and feature) and builds the
/// result table shared by the report and the console: per arm, the probe at the last layer and at the best layer,
/// next to the controls measured the same way.
/// </summary>
public static class ExperimentReport
{
    /// <summary>Rows of (arm, encoder, feature, last-layer top-1, best top-1 and its layer) for the linear probe.</summary>
    public static IReadOnlyList<string[]> ProbeTable(IReadOnlyList<ArmOutcome> arms)
    {
        var rows = new List<string[]>();
        foreach (var arm in arms)
        {
            var probes = arm.Results.Where(r => r.Protocol == ProtocolNames.LinearProbe && r.Metric == ProbeMetrics.Top1).ToList();
            foreach (var group in probes.GroupBy(r => (r.Encoder, r.Feature)).OrderBy(g => EncoderRank(g.Key.Encoder)).ThenBy(g => g.Key.Feature, StringComparer.Ordinal))
            {
                var last = group.MaxBy(r => r.Layer)!;
                var best = group.MaxBy(r => r.Value)!;
                rows.Add([arm.Name, group.Key.Encoder, group.Key.Feature, Percent(last.Value), $"{Percent(best.Value)} (layer {best.Layer})"]);
            }
        }
        return rows;
    }

    public static readonly string[] ProbeTableHeader = ["arm", "encoder", "feature", "top-1, last layer", "top-1, best layer"];

    /// <summary>Rows of (arm, encoder, layer, mIoU, pixel accuracy) for the linear segmentation probe.</summary>
    public static IReadOnlyList<string[]> SegmentationTable(IReadOnlyList<ArmOutcome> arms) =>
        arms.SelectMany(arm => arm.Results
                .Where(r => r.Protocol == ProtocolNames.SegmentationProbe && r.Metric == ProbeMetrics.MeanIoU)
                .OrderBy(r => EncoderRank(r.Encoder))
                .Select(r => new[]
                {
                    arm.Name, r.Encoder, r.Layer.ToString(CultureInfo.InvariantCulture), Percent(r.Value),
                    Percent(arm.Results.FirstOrDefault(p => p.Protocol == r.Protocol && p.Encoder == r.Encoder && p.Layer == r.Layer
                        && p.Metric == ProbeMetrics.PixelAccuracy)?.Value ?? double.NaN),
                }))
            .ToList();

    public static readonly string[] SegmentationTableHeader = ["arm", "encoder", "layer", "mIoU", "pixel accuracy"];

    public static void Write(string folder, string title, IReadOnlyList<ArmOutcome> arms, string notes)
    {
        Directory.CreateDirectory(folder);
        PlotLoss(Path.Combine(folder, "loss.png"), arms);
        var features = arms.SelectMany(a => a.Results).Where(r => r.Protocol == ProtocolNames.LinearProbe && r.Encoder == EncoderKinds.Pretrained)
            .Select(r => r.Feature).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var feature in features)
        {
            PlotProbe(Path.Combine(folder, $"probe-{feature}.png"), arms, feature);
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        text.AppendLine();
        foreach (var arm in arms)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{arm.Name}**: {arm.Description}");
        }
        text.AppendLine();
        AppendTable(text, "Linear probe (top-1 on the test set)", ProbeTableHeader, ProbeTable(arms));
        AppendTable(text, "Linear segmentation probe (on the evaluation split)", SegmentationTableHeader, SegmentationTable(arms));
        if (notes.Length > 0)
        {
            text.AppendLine(notes);
            text.AppendLine();
        }
        text.AppendLine("## Pretraining loss");
        text.AppendLine();
        text.AppendLine("![loss](loss.png)");
        foreach (var feature in features)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## Linear probe per layer: {feature} feature");
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![probe {feature}](probe-{feature}.png)");
        }
        File.WriteAllText(Path.Combine(folder, "report.md"), text.ToString());
    }

    private static void AppendTable(StringBuilder text, string heading, string[] header, IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"## {heading}");
        text.AppendLine();
        text.AppendLine("| " + string.Join(" | ", header) + " |");
        text.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", header.Length)));
        foreach (var row in rows)
        {
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        text.AppendLine();
    }

    private static void PlotLoss(string path, IReadOnlyList<ArmOutcome> arms)
    {
        var plot = new ScottPlot.Plot();
        foreach (var arm in arms.Where(a => a.Training.Count > 0))
        {
            var line = plot.Add.ScatterLine(arm.Training.Select(p => (double)p.Step).ToArray(), arm.Training.Select(p => p.Loss).ToArray());
            line.LegendText = arm.Name;
        }
        plot.Title("Pretraining loss");
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend();
        plot.SavePng(path, 800, 450);
    }

    private static void PlotProbe(string path, IReadOnlyList<ArmOutcome> arms, string feature)
    {
        var plot = new ScottPlot.Plot();
        foreach (var arm in arms)
        {
            var points = arm.Results.Where(r => r.Protocol == ProtocolNames.LinearProbe && r.Metric == ProbeMetrics.Top1 && r.Encoder == EncoderKinds.Pretrained && r.Feature == feature)
                .OrderBy(r => r.Layer).ToList();
            if (points.Count == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(points.Select(r => (double)r.Layer).ToArray(), points.Select(r => 100 * r.Value).ToArray());
            line.LegendText = arm.Name;
        }
        plot.Title($"Linear probe top-1 per layer ({feature} feature)");
        plot.XLabel("layer");
        plot.YLabel("top-1 (%)");
        plot.ShowLegend();
        plot.SavePng(path, 800, 450);
    }

    private static int EncoderRank(string encoder) => encoder switch
    {
        EncoderKinds.Pretrained => 0,
        EncoderKinds.RandomInit => 1,
        _ => 2,
    };

    private static string Percent(double value) => (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
