using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Orchestration;
using SemanticMIM.Orchestration.Tests;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Workers;

namespace SemanticMIM.Cli.Tests;

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "cli-broker";
}

/// <summary>
/// <c>semanticmim submit SWEEP --follow</c> against the orchestrator and the target service's report writer on a real
/// broker: the cells' experiments are played to their end on the orchestrator (no trainer runs here), and the command
/// shows each cell as it changes, then the groups' means and the report the target service wrote.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class SubmitSweepTests(RabbitMqFixture broker) : IDisposable
{
    private const string Arm = """
        name: tiny-arm
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        method: semanticMim
        target: { kind: hog, views: 2 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
        training: { steps: 4, batchSize: 16 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """;

    private const string Sweep = """
        sweep:
          name: submitted
          base: arm.yaml
          concurrency: 2
          axes:
            model.proxies: [2, 4]
          seeds: [0, 1]
        """;

    private static readonly Dictionary<string, double> Top1 = new()
    {
        ["submitted-proxies2-s0"] = 0.5, ["submitted-proxies2-s1"] = 0.6, ["submitted-proxies4-s0"] = 0.7, ["submitted-proxies4-s1"] = 0.9,
    };

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_submitted_sweep_runs_its_cells_on_the_platform_and_follow_shows_them_then_the_groups_and_the_report()
    {
        await using var platform = await OrchestratorHarness.StartAsync(rabbitMq: broker.AmqpUri, roles: host => host.AddTargetService());
        File.WriteAllText(_folder.File("arm.yaml"), Arm);
        File.WriteAllText(_folder.File("sweep.yaml"), Sweep);
        var id = Guid.NewGuid();

        var submit = CliInvocation.InvokeAsync(console => SubmitCommand.Create(console),
            "submit", _folder.File("sweep.yaml"), "--broker", broker.AmqpUri.ToString(), "--follow", "--id", id.ToString());
        var played = new HashSet<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (played.Count < Top1.Count && !submit.IsCompleted && DateTime.UtcNow < deadline)
        {
            var running = (await platform.Sweeps.FindAsync(id))?.Cells.Where(c => c.State == SweepCellStates.Running && played.Add(c.Name)).ToList() ?? [];
            Assert.InRange(running.Count, 0, 2);
            foreach (var cell in running)
            {
                await platform.CompleteAsync(cell, Top1[cell.Name]);
            }
            await Task.Delay(50);
        }
        var (code, output, errors) = await submit.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 0, output + errors);
        Assert.StartsWith($"{id:D}\nsubmitted: 4 cells, 2 at a time\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Matches(@"\d\d:\d\d:\d\d submitted-proxies4-s1 running\n", output.ReplaceLineEndings("\n"));
        Assert.Matches(@"\d\d:\d\d:\d\d submitted-proxies4-s1 completed 90\.0%\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("model.proxies=4", output, StringComparison.Ordinal);
        Assert.Contains("80.0%", output, StringComparison.Ordinal); // the mean of 70% and 90%
        Assert.Contains("submitted completed: report in sweeps/submitted/report.md", output, StringComparison.Ordinal);

        // The report the target service wrote, through the same report code as `semanticmim sweep`.
        var store = platform.Services.GetRequiredService<IObjectStore>();
        Assert.NotNull(await store.ReadTextAsync("sweeps/submitted/report.md"));
        using var json = JsonDocument.Parse((await store.ReadTextAsync("sweeps/submitted/sweep.json"))!);
        var groups = json.RootElement.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["model.proxies=2", "model.proxies=4"], groups.Select(g => g.GetProperty("label").GetString()));
        Assert.Equal(0.8, groups[1].GetProperty("summary").GetProperty("mean").GetDouble(), 12);
        var record = await platform.Sweeps.GetAsync(id);
        Assert.Equal((SweepPhase.Completed, "sweeps/submitted/report.md"), (record.Phase, record.ReportKey));
        Assert.Equal(Top1.Values.Select(v => (double?)v), record.Cells.Select(c => c.Value));
    }
}
