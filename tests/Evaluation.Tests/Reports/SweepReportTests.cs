using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Evaluation.Reports;
using SemanticMIM.Planning;

namespace SemanticMIM.Evaluation.Tests.Reports;

public sealed class SweepReportTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly SweepSpec Sweep = new()
    {
        Name = "ablation",
        BaseYaml = "",
        Arms = [new SweepArm("maskfeat", []), new SweepArm("semanticmim", [])],
        Axes = [],
        Seeds = [0, 1, 2],
        AlsoReport = [new SweepMetric { Layer = SweepLayer.Best }],
    };

    private static SweepCellOutcome Outcome(string arm, int seed, double layer1, double layer2) =>
        new(new SweepCell { Name = $"ablation-{arm}-s{seed}", Arm = arm, Point = [], Seed = seed, SpecYaml = "" }, "hog-1", $"pretrain-{arm}{seed}",
            [
                new EvaluationResult { Protocol = ProtocolNames.LinearProbe, Encoder = EncoderKinds.Pretrained, Layer = 1, Feature = "cls", Metric = "top1", Value = layer1 },
                new EvaluationResult { Protocol = ProtocolNames.LinearProbe, Encoder = EncoderKinds.Pretrained, Layer = 2, Feature = "cls", Metric = "top1", Value = layer2 },
            ], new SweepCellCost(Steps: 10, TrainingSeconds: 5, TargetBytes: 1000, TargetSeconds: 2));

    [Fact]
    public void Every_metric_gets_its_groups_and_paired_table_and_the_layers_their_plot()
    {
        var summary = SweepSummary.Of(Sweep, [
            Outcome("maskfeat", 0, 0.70, 0.60), Outcome("maskfeat", 1, 0.72, 0.62), Outcome("maskfeat", 2, 0.71, 0.64),
            Outcome("semanticmim", 0, 0.69, 0.66), Outcome("semanticmim", 1, 0.70, 0.70), Outcome("semanticmim", 2, 0.73, 0.65),
        ]);

        SweepReport.Write(_folder.Path, Sweep, summary);

        string tables = File.ReadAllText(_folder.File(SweepReport.TablesFile));
        string[] expected =
        [
            "### linear-probe cls top1, last layer of the pretrained encoder",
            "| maskfeat | 3 | 62.0% |",
            // Last layers 66, 70, 65 against 60, 62, 64: differences +6, +8, +1, mean +5.0.
            "| semanticmim | 3 | +5.0 |",
            "### linear-probe cls top1, best layer of the pretrained encoder",
            "| maskfeat | 3 | 71.0% |",
            // Best layers 69, 70, 73 against 70, 72, 71: differences -1, -2, +2, mean -0.3.
            "| semanticmim | 3 | -0.3 |",
            "10000 resamples, seed 20240601",
        ];
        int at = 0;
        foreach (var line in expected)
        {
            int found = tables.IndexOf(line, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"'{line}' is not in order in:\n{tables}");
            at = found + line.Length;
        }
        string report = File.ReadAllText(_folder.File("report.md"));
        Assert.Contains(tables, report, StringComparison.Ordinal);
        Assert.Contains($"![per layer]({SweepReport.LayersPlotFile})", report, StringComparison.Ordinal);
        Assert.True(new FileInfo(_folder.File(SweepReport.LayersPlotFile)).Length > 10_000);
    }
}
