using System.CommandLine;
using System.Text.Json;

namespace SemanticMIM.Cli.Tests;

public sealed class RunCommandTests : IDisposable
{
    private const string HogArm = """
        name: tiny-maskfeat-semanticmim
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        method: semanticMim
        target: { kind: hog, views: 2 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
        masking: { ratio: 0.6 }
        training: { steps: 4, batchSize: 16, checkpointEvery: 2 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """;

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Run_writes_the_run_folder_prints_the_table_and_reuses_finished_stages_when_run_again()
    {
        string hog = Write("hog.yaml", HogArm);
        string beit = Write("beit.yaml", HogArm.Replace("tiny-maskfeat-semanticmim", "tiny-beit")
            .Replace("kind: hog, views: 2", "kind: tokens, tokenizer: vq, vocabSize: 16, tokenizerSteps: 3, views: 2")
            .Replace("method: semanticMim", "method: baseline").Replace("proxies: 4", "proxies: 1"));
        string runs = _folder.File("runs");

        var (code, output, _) = await InvokeAsync("run", hog, beit, "--runs", runs);
        var (againCode, again, _) = await InvokeAsync("run", hog, beit, "--runs", runs);

        Assert.Equal(0, code);
        foreach (var experiment in new[] { "tiny-maskfeat-semanticmim", "tiny-beit" })
        {
            string folder = Path.Combine(runs, "experiments", experiment);
            foreach (var file in new[] { "spec.json", "results.json", "results/0-linear-probe.json" })
            {
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{experiment}/{file} is missing");
            }
            using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
            Assert.Contains(results.RootElement.EnumerateArray(), r => r.GetProperty("encoder").GetString() == "raw-pixels");
            Assert.Contains(experiment, output);
        }
        // The two arms shape their encoders differently: a pretraining each, under its content's id.
        var pretrainings = Directory.GetDirectories(Path.Combine(runs, "pretraining"));
        Assert.Equal(2, pretrainings.Length);
        foreach (var pretraining in pretrainings)
        {
            foreach (var file in new[] { "training-log.json", "encoder.safetensors", "done.json", "claim.json" })
            {
                Assert.True(File.Exists(Path.Combine(pretraining, file)), $"{pretraining}/{file} is missing");
            }
            Assert.Equal(["step-00000002", "step-00000004"], Directory.GetDirectories(Path.Combine(pretraining, "checkpoints")).Select(Path.GetFileName).Order());
        }
        var dataset = Assert.Single(Directory.GetDirectories(Path.Combine(runs, "datasets")));
        Assert.True(File.Exists(Path.Combine(dataset, "train", "manifest.json")));
        Assert.True(File.Exists(Path.Combine(dataset, "test", "manifest.json")));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dataset, "train"), "*.tar").Length);
        var targetSets = Directory.GetDirectories(Directory.GetDirectories(Path.Combine(runs, "targets")).Single());
        Assert.Equal(3, targetSets.Length); // HOG, the VQ tokenizer and its token targets
        Assert.Contains(targetSets, t => File.Exists(Path.Combine(t, "tokenizer.json")));
        string report = Path.Combine(runs, "reports", "tiny-maskfeat-semanticmim-vs-tiny-beit");
        foreach (var file in new[] { "report.md", "loss.png", "probe-patch.png", "probe-cls.png" })
        {
            Assert.True(File.Exists(Path.Combine(report, file)), $"report file {file} is missing");
        }
        Assert.Contains("top-1, best layer", output);
        Assert.Contains("raw-pixels", output);

        Assert.Equal(0, againCode);
        Assert.Contains("tiny-maskfeat-semanticmim: reused shard, targets, pretrain, evaluate", again);
        Assert.Contains("tiny-beit: reused shard, targets, pretrain, evaluate", again);
    }

    [Fact]
    public async Task Bad_specs_are_rejected_before_any_work_with_every_problem_of_every_file()
    {
        string first = Write("first.yaml", HogArm.Replace("ratio: 0.6", "ratio: 1.5").Replace("steps: 4", "steps: -1"));
        string second = Write("second.yaml", HogArm.Replace("channels: 1", "channels: 2").Replace("batchSize: 16", "batchSize: 0").Replace("views: 2", "viewz: 2"));
        string runs = _folder.File("runs");

        var (code, _, errors) = await InvokeAsync("run", first, second, "--runs", runs);

        Assert.Equal(2, code);
        Assert.Contains("No work was started", errors);
        foreach (var expected in new[] { "first.yaml: masking.ratio", "first.yaml: training.steps", "second.yaml: dataset.channels", "second.yaml: training.batchSize", "second.yaml: target.viewz" })
        {
            Assert.Contains(expected, errors);
        }
        Assert.False(Directory.Exists(runs));
    }

    public static TheoryData<string, string, string> AbsurdSpecs() => new()
    {
        // Each of these passed validation before and then crashed the process natively or retried forever.
        { "batchSize: 16", "batchSize: 1000000000", "training.batchSize: must lie in [1, 65536] (got 1000000000)" },
        { "shardSize: 32", "shardSize: 2000000000", "dataset.shardSize: must lie in [1, 100000] (got 2000000000)" },
        { "name: tiny-maskfeat-semanticmim", "name: \"tiny\\u0007\"", "name: 'tiny\\u0007' must be 1–63 lower-case letters" },
        { "steps: 4,", "steps: 4, learningRate: 1e999,", "training.learningRate: must be a finite number (got Infinity)" },
        // The preset's patch of 16 does not divide 28: this failed only after the data had been sharded.
        { "preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4", "preset: base", "model.patchSize: dataset.imageSize 28 is not a multiple of the patch size 16 (the base preset's" },
        { "masking: { ratio: 0.6 }", "masking: { ratio: 0.6 }\n{ a: 1 }: 2", "(document): a key must be a plain name, not a mapping" },
        { "masking: { ratio: 0.6 }", "masking: { ratio: " + new string('[', 100_000) + new string(']', 100_000) + " }", "(document): nests deeper than 32 levels" },
        { "imageSize: 28, channels: 1", "imageSize: 1024, channels: 1", "training.batchSize: the trainer would need about" },
    };

    [Theory]
    [MemberData(nameof(AbsurdSpecs))]
    public async Task An_absurd_spec_exits_2_with_its_problem_no_stack_trace_and_no_shard_written(string find, string replace, string expected)
    {
        string yaml = HogArm.Replace(find, replace, StringComparison.Ordinal);
        if (expected.StartsWith("training.batchSize: the trainer", StringComparison.Ordinal))
        {
            yaml = yaml.Replace("batchSize: 16", "batchSize: 65536", StringComparison.Ordinal).Replace("embedDim: 32, heads: 2, mlpDim: 64, depth: 2", "embedDim: 4096, heads: 32, mlpDim: 16384, depth: 48", StringComparison.Ordinal);
        }
        string spec = Write("absurd.yaml", yaml);
        string runs = _folder.File("runs");

        var (code, output, errors) = await InvokeAsync("run", spec, "--runs", runs);

        Assert.Equal(2, code);
        Assert.Contains("No work was started", errors);
        Assert.Contains($"absurd.yaml: {expected}", errors);
        Assert.DoesNotContain("   at ", errors + output);
        Assert.DoesNotContain("Exception", errors + output);
        Assert.False(Directory.Exists(runs), "nothing may be written for a rejected spec");
    }

    [Fact]
    public async Task A_spec_that_cannot_be_read_exits_2_with_its_reason()
    {
        string folder = _folder.File("a-folder.yaml");
        Directory.CreateDirectory(folder);

        var (code, _, errors) = await InvokeAsync("run", folder, _folder.File("missing.yaml"), "--runs", _folder.File("runs"));

        Assert.Equal(2, code);
        Assert.Contains("a-folder.yaml: ", errors);
        Assert.Contains("missing.yaml: ", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task Submit_refuses_an_invalid_spec_before_it_reaches_a_broker()
    {
        string spec = Write("bad.yaml", HogArm.Replace("batchSize: 16", "batchSize: 0", StringComparison.Ordinal));

        // No broker listens on port 1: a submit that got past validation would fail differently.
        var (code, _, errors) = await InvokeAsync(SubmitCommand.Create(), "submit", spec, "--broker", "amqp://guest:guest@127.0.0.1:1/");

        Assert.Equal(2, code);
        Assert.Contains("Nothing was submitted", errors);
        Assert.Contains("bad.yaml: training.batchSize: must lie in [1, 65536] (got 0)", errors);
    }

    private string Write(string name, string yaml)
    {
        string path = _folder.File(name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static Task<(int Code, string Output, string Errors)> InvokeAsync(params string[] args) => CliInvocation.InvokeAsync(RunCommand.Create, args);

    private static Task<(int Code, string Output, string Errors)> InvokeAsync(Command command, params string[] args) => CliInvocation.InvokeAsync(_ => command, args);
}
