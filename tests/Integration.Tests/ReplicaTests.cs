using SemanticMIM.Contracts.Messages;
using SemanticMIM.Integration.Tests.Infrastructure;

namespace SemanticMIM.Integration.Tests;

/// <summary>
/// Two replicas of the shard service and two of the target service compete for the same queues (as Deployments
/// with several replicas do): every unit is done by one of them, and each shard and target file exists once.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ReplicaTests(InfrastructureFixture infrastructure, PlatformFixture platform, ITestOutputHelper output)
    : IClassFixture<PlatformFixture>
{
    [Fact]
    public Task Second_shard_and_target_replicas_share_the_units_without_duplicating_output() => platform.RunAsync(infrastructure, output, async events =>
    {
        var environment = infrastructure.ServiceEnvironment(platform.Bucket);
        await using var secondShard = new ServiceProcess("Shard", environment, platform.ScratchFolder);
        await using var secondTarget = new ServiceProcess("Target", environment, platform.ScratchFolder);
        await Task.WhenAll(secondShard.StartAsync(), secondTarget.StartAsync());
        string yaml = TinySpecs.FashionMnist("replicas");
        var id = Guid.NewGuid();

        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted with two shard and two target replicas", PlatformFixture.ExperimentTimeout);

        var written = events.Of<ShardWritten>(id).Where(w => w.Split == "train").Select(w => w.Index).ToList();
        Assert.Equal(TinySpecs.TrainShards, written.Distinct().Count());
        Assert.Equal(TinySpecs.TrainShards, events.Of<TargetsComputed>(id).Select(t => t.Shard).Distinct().Count());
        var plan = StoreChecks.Plan(yaml);
        var train = await StoreChecks.VerifyTrainingShardsAsync(platform.Store, plan);
        await StoreChecks.VerifyTargetsAsync(platform.Store, plan, train);
        await StoreChecks.VerifyOutcomeAsync(platform.Store, plan);
    });
}
