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

    [Fact]
    public void WritesTheMarkdownAndItsPlots()
    {
        ExperimentReport.Write(_folder.Path, "Fashion-MNIST", [Arm("baseline", 0), Arm("semanticmim", 0.1)], "Tiny scale: read with care.");

        string markdown = File.ReadAllText(_folder.File("report.md"));
        Assert.Contains("# Fashion-MNIST", markdown);
        Assert.Contains("| semanticmim | pretrained | patch | 70.0% | 80.0% (layer 2) |", markdown);
        Assert.Contains("Tiny scale: read with care.", markdown);
        foreach (var png in new[] { "loss.png", "probe-patch.png", "probe-cls.png" })
        {
            Assert.Contains($"]({png})", markdown);
            var bytes = File.ReadAllBytes(_folder.File(png));
            Assert.True(bytes.Length > 1000, $"{png} is too small to be a plot");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }
}
