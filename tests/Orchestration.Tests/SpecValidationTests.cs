using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// A spec sent as a message meets the validation the CLI runs, with the orchestrator's limits: ExperimentRejected lists
/// the same problems, at once, and nothing is retried, recorded as running or sent to a worker.
/// </summary>
public sealed class SpecValidationTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Validation:TrainerMemoryLimit"] = "4Gi",
        ["Data:Roots:0"] = "/data",
    };

    private OrchestratorHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await OrchestratorHarness.StartAsync(settings: Settings);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    public static TheoryData<string, string> BadSpecs() => new()
    {
        { "training: { steps: 4, batchSize: 16 }", "training: { steps: 4, batchSize: 1000000000 }" },
        { "shardSize: 32", "shardSize: 2000000000" },
        { "name: absurd", "name: \"absurd\\u0007\"" },
        { "training: { steps: 4, batchSize: 16 }", "training: { steps: 4, batchSize: 16, learningRate: 1e999 }" },
        { "preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4", "preset: base" },
        { "method: semanticMim", "method: semanticMim\n{ a: 1 }: 2" },
        { "method: semanticMim", "method: " + new string('[', 50_000) + new string(']', 50_000) },
        { "kind: fashionMnist,", "kind: fashionMnist, source: /etc," },
        { "training: { steps: 4, batchSize: 16 }", "training: { steps: 4, batchSize: 4096 }\nmodel: { preset: base }\ndataset: { imageSize: 224, channels: 1 }" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task A_bad_spec_is_rejected_at_once_with_the_problems_the_CLI_lists_and_never_retried(string find, string replace)
    {
        var id = Guid.NewGuid();
        string yaml = Specs.Tiny("absurd").Replace(find, replace, StringComparison.Ordinal);
        var limits = SpecValidation.Limits(new ValidationOptions { TrainerMemoryLimit = "4Gi" }, new DataOptions { Roots = ["/data"] });
        var expected = Assert.Throws<InvalidSpecException>(() => ExperimentPlan.Read(yaml, "spec", limits)).Problems.Select(p => p.ToString()).ToList();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await _harness.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var rejected = await _harness.WaitForAsync<ExperimentRejected>(id);

        Assert.Equal(expected, rejected.Problems);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the rejection took {clock.Elapsed}");
        var record = await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Rejected);
        Assert.Equal(string.Join("; ", expected), record.Reason);
        // A handler that threw would be retried and end in a fault; a rejection is an answer, given once.
        await Task.Delay(500);
        Assert.Single(_harness.Messages.Of<ExperimentRejected>(id));
        Assert.Empty(_harness.Messages.Of<MassTransit.Fault<StartExperiment>>(id));
        Assert.Empty(_harness.Messages.Of<ExperimentAccepted>(id));
        Assert.Empty(_harness.Messages.Of<ShardDataset>(id));
    }

    [Fact]
    public async Task A_spec_within_the_limits_is_accepted()
    {
        var id = Guid.NewGuid();

        await _harness.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = Specs.Tiny("within-limits") });

        Assert.Equal("within-limits", (await _harness.WaitForAsync<ExperimentAccepted>(id)).Name);
    }
}
