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
    /// <summary>
    /// One row per arm shaped like the paper's Table 1, for the pretrained encoder: linear probe top-1 with the CLS
    /// (mean of proxies) and patch features at the paper's layer (7 of 12, scaled to the depth) and at the last,
    /// fine-tuning top-1 with each feature, segmentation-probe mIoU (best epoch) and UperNet mIoU; "–" where not run.
    /// </summary>
    public static IReadOnlyList<string[]> PaperTable(IReadOnlyList<ArmOutcome> arms) =>
        arms.Select(arm =>
        {
            var pretrained = arm.Results.Where(r => r.Encoder == EncoderKinds.Pretrained).ToList();
            string Linear(string feature)
            {
                var probes = pretrained.Where(r => r.Protocol == ProtocolNames.LinearProbe && r.Metric == ProbeMetrics.Top1 && r.Feature == feature).ToList();
                if (probes.Count == 0)
                {
                    return "–";
                }
                int depth = probes.Max(r => r.Layer);
                int paperLayer = PaperLinearLayer(depth);
                var atPaper = probes.FirstOrDefault(r => r.Layer == paperLayer);
                return $"{(atPaper is null ? "–" : Percent(atPaper.Value))} (L{paperLayer}) / {Percent(probes.First(r => r.Layer == depth).Value)} (L{depth})";
            }
            string Single(string protocol, string? feature, string metric)
            {
                var result = pretrained.FirstOrDefault(r => r.Protocol == protocol && r.Metric == metric && (feature is null || r.Feature == feature));
                return result is null ? "–" : protocol == ProtocolNames.SegmentationProbe ? $"{Percent(result.Value)} (L{result.Layer})" : Percent(result.Value);
            }
            return new[]
            {
                arm.Name, Linear(FeatureNames.Cls), Linear(FeatureNames.Patch),
                Single(ProtocolNames.FineTune, FeatureNames.Cls, ProbeMetrics.Top1), Single(ProtocolNames.FineTune, FeatureNames.Patch, ProbeMetrics.Top1),
                Single(ProtocolNames.SegmentationProbe, null, ProbeMetrics.MeanIoU), Single(ProtocolNames.UperNet, null, ProbeMetrics.MeanIoU),
            };
        }).ToList();

    public static readonly string[] PaperTableHeader =
        ["arm", "linear CLS (paper layer / last)", "linear patch (paper layer / last)", "fine-tune CLS", "fine-tune patch", "seg. probe mIoU", "UperNet mIoU"];

    /// <summary>The layer the paper reports the linear probe at, 7 of 12, scaled to <paramref name="depth"/> (1-based).</summary>
    public static int PaperLinearLayer(int depth) => Math.Max(1, (int)Math.Round(depth * 7 / 12.0, MidpointRounding.AwayFromZero));

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

    /// <summary>
    /// Rows of (arm, protocol, encoder, layer, mIoU, last-epoch mIoU, pixel accuracy) for the segmentation protocols
    /// (linear probe: best epoch and last; UperNet: its one evaluation, so both columns agree).
    /// </summary>
    public static IReadOnlyList<string[]> SegmentationTable(IReadOnlyList<ArmOutcome> arms) =>
        arms.SelectMany(arm => arm.Results
                .Where(r => r.Protocol is ProtocolNames.SegmentationProbe or ProtocolNames.UperNet && r.Metric == ProbeMetrics.MeanIoU)
                .OrderBy(r => r.Protocol, StringComparer.Ordinal).ThenBy(r => EncoderRank(r.Encoder))
                .Select(r =>
                {
                    string Other(string metric) => Percent(arm.Results.FirstOrDefault(p => p.Protocol == r.Protocol && p.Encoder == r.Encoder
                        && p.Layer == r.Layer && p.Metric == metric)?.Value ?? double.NaN);
                    return new[]
                    {
                        arm.Name, r.Protocol, r.Encoder, r.Layer.ToString(CultureInfo.InvariantCulture), Percent(r.Value),
                        r.Protocol == ProtocolNames.SegmentationProbe ? Other(ProbeMetrics.MeanIoULast) : Percent(r.Value), Other(ProbeMetrics.PixelAccuracy),
                    };
                }))
            .ToList();

    public static readonly string[] SegmentationTableHeader = ["arm", "protocol", "encoder", "layer", "mIoU", "mIoU, last epoch", "pixel accuracy"];

    /// <summary>Rows of (arm, feature, top-1, top-5) for fine-tuning; the recipes follow the tables in the report.</summary>
    public static IReadOnlyList<string[]> FineTuneTable(IReadOnlyList<ArmOutcome> arms) =>
        arms.SelectMany(arm => arm.Results
                .Where(r => r.Protocol == ProtocolNames.FineTune && r.Metric == ProbeMetrics.Top1)
                .OrderBy(r => r.Feature, StringComparer.Ordinal)
                .Select(r => new[]
                {
                    arm.Name, r.Feature, Percent(r.Value),
                    Percent(arm.Results.FirstOrDefault(p => p.Protocol == r.Protocol && p.Feature == r.Feature && p.Metric == ProbeMetrics.Top5)?.Value ?? double.NaN),
                }))
            .ToList();

    public static readonly string[] FineTuneTableHeader = ["arm", "feature", "top-1", "top-5"];

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
        AppendTable(text, "Results in the shape of the paper's Table 1 (pretrained encoders)", PaperTableHeader, PaperTable(arms));
        AppendTable(text, "Linear probe (top-1 on the test set)", ProbeTableHeader, ProbeTable(arms));
        AppendTable(text, "Fine-tuning (top-1 on the test set)", FineTuneTableHeader, FineTuneTable(arms));
        AppendTable(text, "Segmentation (on the evaluation split)", SegmentationTableHeader, SegmentationTable(arms));
        AppendRecipes(text, arms);
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

    /// <summary>Every protocol's recipe as the evaluation recorded it, deviations from the spec's included.</summary>
    private static void AppendRecipes(StringBuilder text, IReadOnlyList<ArmOutcome> arms)
    {
        var recipes = arms.SelectMany(a => a.Results).Where(r => r.Recipe.Length > 0)
            .Select(r => (r.Protocol, r.Recipe, r.Dataset)).Distinct().OrderBy(r => r.Protocol, StringComparer.Ordinal).ToList();
        if (recipes.Count == 0)
        {
            return;
        }
        text.AppendLine("## Evaluation recipes");
        text.AppendLine();
        foreach (var (protocol, recipe, dataset) in recipes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{protocol}** on {dataset}: {recipe}");
        }
        text.AppendLine();
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
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1000, 450);
    }

    private static void PlotProbe(string path, IReadOnlyList<ArmOutcome> arms, string feature)
    {
        var plot = new ScottPlot.Plot();
        var layers = new List<int>();
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
            layers.AddRange(points.Select(r => r.Layer));
        }
        ReportPlots.LayerTicks(plot, layers);
        plot.Title($"Linear probe top-1 per layer ({feature} feature)");
        plot.XLabel("layer");
        plot.YLabel("top-1 (%)");
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1000, 450);
    }

    private static int EncoderRank(string encoder) => encoder switch
    {
        EncoderKinds.Pretrained => 0,
        EncoderKinds.RandomInit => 1,
        _ => 2,
    };

    private static string Percent(double value) => (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
