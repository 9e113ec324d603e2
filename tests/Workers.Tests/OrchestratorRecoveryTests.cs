using SemanticMIM.Contracts.Messages;
using SemanticMIM.Workers.Orchestration;

namespace SemanticMIM.Workers.Tests;

public class OrchestratorRecoveryTests
{
    private static readonly ExperimentRecord Record = new()
    {
        Id = Guid.NewGuid(),
        SpecYaml = "name: x",
        Name = "x",
        PendingSplits = ["train", "test"],
        PendingShards = ["shard-000001.tar"],
        PendingEvaluations = [0, 2],
    };

    [Fact]
    public void Each_unfinished_phase_reissues_exactly_its_pending_units()
    {
        Assert.Equal(["train", "test"], Commands<ShardDataset>(ExperimentPhase.Sharding).Select(c => c.Split));
        Assert.Equal(["shard-000001.tar"], Commands<ComputeTargets>(ExperimentPhase.Targets).Select(c => c.Shard));
        Assert.Single(Commands<RunPretraining>(ExperimentPhase.Pretraining));
        Assert.Equal([0, 2], Commands<RunEvaluation>(ExperimentPhase.Evaluating).Select(c => c.EvaluationIndex));
        foreach (var finished in new[] { ExperimentPhase.Completed, ExperimentPhase.Failed, ExperimentPhase.Rejected })
        {
            Assert.Empty(OrchestratorRecovery.PendingCommands(Record with { Phase = finished }));
        }
    }

    private static List<T> Commands<T>(ExperimentPhase phase)
    {
        var commands = OrchestratorRecovery.PendingCommands(Record with { Phase = phase }).ToList();
        Assert.All(commands, c => Assert.IsType<T>(c));
        return commands.Cast<T>().ToList();
    }
}
