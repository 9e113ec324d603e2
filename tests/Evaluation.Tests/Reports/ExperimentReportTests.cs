using SemanticMIM.Contracts.Results;
using SemanticMIM.Evaluation.Reports;

namespace SemanticMIM.Evaluation.Tests.Reports;

public sealed class ExperimentReportTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static EvaluationResult Probe(string encoder, string feature, int layer, double value) => new()
    {
        Protocol = ProtocolNames.LinearProbe, Encoder = encoder, Feature = feature, Layer = layer, Metric = ProbeMetrics.Top1, Value = value,
    };

    private static ArmOutcome Arm(string name, double offset) => new(
        name, $"{name} arm",
        Enumerable.Range(0, 20).Select(s => new TrainingPoint(s, 2.0 / (s + 1) + offset, 1e-3, 0.5, 100)).ToList(),
        [
            Probe("pretrained", "patch", 1, 0.50 + offset), Probe("pretrained", "patch", 2, 0.70 + offset), Probe("pretrained", "patch", 3, 0.60 + offset),
            Probe("pretrained", "cls", 1, 0.40 + offset), Probe("pretrained", "cls", 2, 0.45 + offset), Probe("pretrained", "cls", 3, 0.55 + offset),
            Probe("random-init", "patch", 3, 0.30), Probe("raw-pixels", "pixels", 0, 0.80),
        ]);

    [Fact]
    public void TableReportsLastAndBestLayerWithControlsAfterThePretrainedEncoder()
    {
        var rows = ExperimentReport.ProbeTable([Arm("baseline", 0), Arm("semanticmim", 0.1)]);

        Assert.Equal(8, rows.Count);
        Assert.Equal(["baseline", "pretrained", "cls", "55.0%", "55.0% (layer 3)"], rows[0]);
        Assert.Equal(["baseline", "pretrained", "patch", "60.0%", "70.0% (layer 2)"], rows[1]);
        Assert.Equal(["baseline", "random-init", "patch", "30.0%", "30.0% (layer 3)"], rows[2]);
        Assert.Equal(["baseline", "raw-pixels", "pixels", "80.0%", "80.0% (layer 0)"], rows[3]);
        Assert.Equal("80.0% (layer 2)", rows[5][4]);
    }

    private static EvaluationResult Result(string protocol, string feature, int layer, string metric, double value, string encoder = "pretrained") => new()
    {
        Protocol = protocol, Encoder = encoder, Feature = feature, Layer = layer, Metric = metric, Value = value, Recipe = $"{protocol} recipe", Dataset = "data",
    };

    /// <summary>A 12-layer arm with every protocol: linear probes of every layer, fine-tuning, both segmentation protocols.</summary>
    private static ArmOutcome FullArm(string name) => new(name, name, [],
        [
            .. Enumerable.Range(1, 12).SelectMany(layer => new[]
            {
                Result(ProtocolNames.LinearProbe, "cls", layer, ProbeMetrics.Top1, layer / 100.0),
                Result(ProtocolNames.LinearProbe, "patch", layer, ProbeMetrics.Top1, 0.5 + layer / 100.0),
            }),
            Result(ProtocolNames.LinearProbe, "cls", 12, ProbeMetrics.Top1, 0.99, encoder: "random-init"),
            Result(ProtocolNames.FineTune, "cls", 12, ProbeMetrics.Top1, 0.83), Result(ProtocolNames.FineTune, "cls", 12, ProbeMetrics.Top5, 0.96),
            Result(ProtocolNames.FineTune, "patch", 12, ProbeMetrics.Top1, 0.829), Result(ProtocolNames.FineTune, "patch", 12, ProbeMetrics.Top5, 0.95),
            Result(ProtocolNames.SegmentationProbe, "patch", 8, ProbeMetrics.MeanIoU, 0.431), Result(ProtocolNames.SegmentationProbe, "patch", 8, ProbeMetrics.MeanIoULast, 0.42),
            Result(ProtocolNames.SegmentationProbe, "patch", 8, ProbeMetrics.PixelAccuracy, 0.9),
            Result(ProtocolNames.UperNet, "patch", 12, ProbeMetrics.MeanIoU, 0.441), Result(ProtocolNames.UperNet, "patch", 12, ProbeMetrics.PixelAccuracy, 0.8),
        ]);

    [Fact]
    public void ThePaperTableHasOneRowPerArmWithTheLinearProbeAtThePapersLayerAndTheLast()
    {
        var rows = ExperimentReport.PaperTable([FullArm("beit-sm"), Arm("tiny", 0)]);

        // 7 of 12 is the paper's layer; the random-init control's 99 % stays out of the pretrained row.
        Assert.Equal(["beit-sm", "7.0% (L7) / 12.0% (L12)", "57.0% (L7) / 62.0% (L12)", "83.0%", "82.9%", "43.1% (L8)", "44.1%"], rows[0]);
        // A 3-layer encoder: round(3 · 7 / 12) = 2; protocols that did not run show a dash.
        Assert.Equal(["tiny", "45.0% (L2) / 55.0% (L3)", "70.0% (L2) / 60.0% (L3)", "–", "–", "–", "–"], rows[1]);
        Assert.Equal(ExperimentReport.PaperTableHeader.Length, rows[0].Length);
    }

    [Theory]
    [InlineData(12, 7)]
    [InlineData(6, 4)]
    [InlineData(3, 2)]
    [InlineData(1, 1)]
    public void ThePapersLinearLayerIsSevenOfTwelveScaled(int depth, int layer) =>
        Assert.Equal(layer, ExperimentReport.PaperLinearLayer(depth));

    [Fact]
    public void TheFineTuneAndSegmentationTablesListEveryProtocolsNumbers()
    {
        var arms = new[] { FullArm("sm") };

        Assert.Equal([["sm", "cls", "83.0%", "96.0%"], ["sm", "patch", "82.9%", "95.0%"]], ExperimentReport.FineTuneTable(arms));
        Assert.Equal(
            [["sm", "segmentation-probe", "pretrained", "8", "43.1%", "42.0%", "90.0%"], ["sm", "upernet", "pretrained", "12", "44.1%", "44.1%", "80.0%"]],
            ExperimentReport.SegmentationTable(arms));
    }

    [Fact]
    public void WritesTheMarkdownAndItsPlots()
    {
        ExperimentReport.Write(_folder.Path, "Fashion-MNIST", [Arm("baseline", 0), Arm("semanticmim", 0.1)], "Tiny scale: read with care.");

        string markdown = File.ReadAllText(_folder.File("report.md"));
        Assert.Contains("# Fashion-MNIST", markdown);
        Assert.Contains("| semanticmim | pretrained | patch | 70.0% | 80.0% (layer 2) |", markdown);
        Assert.Contains("Tiny scale: read with care.", markdown);
        Assert.Contains("| semanticmim | 55.0% (L2) / 65.0% (L3) | 80.0% (L2) / 70.0% (L3) | – | – | – | – |", markdown);
        foreach (var png in new[] { "loss.png", "probe-patch.png", "probe-cls.png" })
        {
            Assert.Contains($"]({png})", markdown);
            var bytes = File.ReadAllBytes(_folder.File(png));
            Assert.True(bytes.Length > 1000, $"{png} is too small to be a plot");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }
}
