using System.Text.Json;

namespace SemanticMIM.Cli.Tests;

public sealed class SweepCommandTests : IDisposable
{
    private const string Arm = """
        name: tiny-arm
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        method: semanticMim
        target: { kind: hog, views: 2 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
        masking: { ratio: 0.6 }
        training: { steps: 4, batchSize: 16 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """;

    private const string Sweep = """
        sweep:
          name: tiny-sweep
          base: arm.yaml
          axes:
            model.proxies: [2, 4]
          seeds: [0, 1]
        """;

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_sweep_runs_every_cell_shares_the_targets_across_seeds_and_writes_its_report_to_the_store()
    {
        Write("arm.yaml", Arm);
        string sweep = Write("sweep.yaml", Sweep);
        string runs = _folder.File("runs");

        var (code, output, errors) = await CliInvocation.InvokeAsync(SweepCommand.Create, "sweep", sweep, "--runs", runs, "--parallel", "2");

        Assert.True(code == 0, output + errors);
        string[] cells = ["tiny-sweep-proxies2-s0", "tiny-sweep-proxies2-s1", "tiny-sweep-proxies4-s0", "tiny-sweep-proxies4-s1"];
        Assert.Equal(cells, Directory.GetDirectories(Path.Combine(runs, "experiments")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // One HOG target set serves all four cells: the view seed stays fixed across the seeds.
        Assert.Single(Directory.GetDirectories(Directory.GetDirectories(Path.Combine(runs, "targets")).Single()));
        string report = Path.Combine(runs, "sweeps", "tiny-sweep");
        foreach (var file in new[] { "report.md", "sweep.json", "metric-vs-model-proxies.png" })
        {
            Assert.True(File.Exists(Path.Combine(report, file)), $"{file} is missing from the sweep report");
        }

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "sweep.json")));
        var root = json.RootElement;
        Assert.Equal("tiny-sweep", root.GetProperty("name").GetString());
        Assert.Equal("linear-probe cls top1, last layer", root.GetProperty("metric").GetString());
        Assert.StartsWith("training.seed only", root.GetProperty("variedSeeds").GetString(), StringComparison.Ordinal);
        var groups = root.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["model.proxies=2", "model.proxies=4"], groups.Select(g => g.GetProperty("label").GetString()));
        var values = groups.SelectMany(g => g.GetProperty("cells").EnumerateArray()).ToList();
        Assert.Equal(cells, values.Select(v => v.GetProperty("name").GetString()));
        Assert.All(values, v => Assert.InRange(v.GetProperty("value").GetDouble(), 0, 1));
        Assert.All(values, v => Assert.Equal(2, v.GetProperty("layer").GetInt32()));
        Assert.Single(values.Select(v => v.GetProperty("targetsId").GetString()).Distinct());
        Assert.Equal(4, values.Select(v => v.GetProperty("pretrainingId").GetString()).Distinct().Count());
        // Each cell's cost: its 4 steps and their time, and the one shared target set's bytes and compute time.
        string targetSet = Directory.GetDirectories(Directory.GetDirectories(Path.Combine(runs, "targets")).Single()).Single();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(targetSet, "manifest.json")));
        long targetBytes = manifest.RootElement.GetProperty("files").EnumerateArray().Sum(f => f.GetProperty("bytes").GetInt64());
        Assert.All(values.Select(v => v.GetProperty("cost")), cost =>
        {
            Assert.Equal((4, targetBytes), (cost.GetProperty("steps").GetInt32(), cost.GetProperty("targetBytes").GetInt64()));
            Assert.True(cost.GetProperty("stepsPerSecond").GetDouble() > 0 && cost.GetProperty("targetSeconds").GetDouble() > 0);
            Assert.Equal(cost.GetProperty("trainingSeconds").GetDouble() + cost.GetProperty("targetSeconds").GetDouble(), cost.GetProperty("totalSeconds").GetDouble(), 9);
        });
        foreach (var group in groups)
        {
            var summary = group.GetProperty("summary");
            var seeds = group.GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("value").GetDouble()).ToList();
            Assert.Equal(2, summary.GetProperty("count").GetInt32());
            Assert.Equal(seeds.Average(), summary.GetProperty("mean").GetDouble(), 12);
            Assert.True(summary.GetProperty("low").GetDouble() <= seeds.Min() && summary.GetProperty("high").GetDouble() >= seeds.Max());
        }
        var comparison = root.GetProperty("comparisons").EnumerateArray().Single();
        Assert.Equal(("model.proxies=4", "model.proxies=2"), (comparison.GetProperty("a").GetString(), comparison.GetProperty("b").GetString()));
        Assert.Equal([0, 1], comparison.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
        var paired = comparison.GetProperty("paired");
        Assert.Equal(JsonValueKind.Null, paired.GetProperty("bootstrap").ValueKind); // two pairs: too few to bootstrap
        Assert.Equal(2, paired.GetProperty("favourA").GetInt32() + paired.GetProperty("favourB").GetInt32() + paired.GetProperty("ties").GetInt32());
        Assert.Contains("model.proxies=4", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);
        Assert.Contains("| steps/s | training | computing targets | stored targets | total |", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);
        Assert.Contains("95% interval", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_sweep_lists_every_problem_with_its_cell_and_path_and_writes_nothing()
    {
        Write("arm.yaml", Arm);
        string sweep = Write("sweep.yaml", Sweep.Replace("model.proxies: [2, 4]", "model.proxies: [2, 400]\n    model.colour: [red]", StringComparison.Ordinal));
        string runs = _folder.File("runs");

        var (code, _, errors) = await CliInvocation.InvokeAsync(SweepCommand.Create, "sweep", sweep, "--runs", runs);
        string fixedPath = Write("sweep2.yaml", Sweep.Replace("model.proxies: [2, 4]", "model.proxies: [2, 400]", StringComparison.Ordinal));
        var (cellsCode, _, cellErrors) = await CliInvocation.InvokeAsync(SweepCommand.Create, "sweep", fixedPath, "--runs", runs);

        Assert.Equal(2, code);
        Assert.Contains("No work was started", errors, StringComparison.Ordinal);
        Assert.Contains("sweep.yaml: sweep.axes.model.colour: 'model.colour' is not a spec field", errors, StringComparison.Ordinal);
        Assert.Equal(2, cellsCode);
        Assert.Contains("sweep2.yaml: tiny-sweep-proxies400-s0: model.proxies: must lie in [0, 256] (got 400)", cellErrors, StringComparison.Ordinal);
        Assert.Contains("sweep2.yaml: tiny-sweep-proxies400-s1: model.proxies", cellErrors, StringComparison.Ordinal);
        Assert.DoesNotContain("proxies2", cellErrors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(runs), "nothing may be written for a rejected sweep");
    }

    [Fact]
    public async Task Run_points_a_sweep_file_to_sweep_and_submit_refuses_a_bad_sweep_whole_before_it_connects()
    {
        Write("arm.yaml", Arm);
        string sweep = Write("sweep.yaml", Sweep);
        string bad = Write("bad.yaml", Sweep.Replace("model.proxies: [2, 4]", "model.proxies: [2, 400]", StringComparison.Ordinal));

        var (runCode, _, runErrors) = await CliInvocation.InvokeAsync(RunCommand.Create, "run", sweep, "--runs", _folder.File("runs"));
        // No broker listens on port 1: a submit that got past validation would fail differently.
        var (submitCode, _, submitErrors) = await CliInvocation.InvokeAsync(console => SubmitCommand.Create(console), "submit", bad, "--broker", "amqp://guest:guest@127.0.0.1:1/");

        Assert.Equal(2, runCode);
        Assert.Contains("sweep.yaml: is a sweep file, not a spec: run it with `semanticmim sweep sweep.yaml`", runErrors, StringComparison.Ordinal);
        Assert.Equal(2, submitCode);
        Assert.Contains("Nothing was submitted", submitErrors, StringComparison.Ordinal);
        Assert.Contains("bad.yaml: tiny-sweep-proxies400-s0: model.proxies: must lie in [0, 256] (got 400)", submitErrors, StringComparison.Ordinal);
        Assert.Contains("bad.yaml: tiny-sweep-proxies400-s1: model.proxies", submitErrors, StringComparison.Ordinal);
    }

    private string Write(string name, string yaml)
    {
        string path = _folder.File(name);
        File.WriteAllText(path, yaml);
        return path;
    }
}
