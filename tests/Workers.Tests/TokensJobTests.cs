using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Workers.Tests;

/// <summary>The tokens job kind, run in process by the embedded platform with tokens jobs configured.</summary>
public sealed class TokensJobTests
{
    [Fact]
    public async Task Tokens_jobs_compute_the_targets_of_their_parts_after_the_VQ_tokenizers_unit_and_announce_each_shard()
    {
        await using var recorded = await RecordedPipeline.StartAsync(new Dictionary<string, string?>
        {
            ["Orchestrator:Tokens:Gpus"] = "1",
            ["Orchestrator:Tokens:SampleThreshold"] = "0",
            ["Orchestrator:Tokens:Parts"] = "2",
        });
        string yaml = TinySpecYaml.FashionMnist("tokens-jobs", target: "{ kind: tokens, tokenizer: vq, vocabSize: 16, tokenizerSteps: 3, views: 2 }");
        var id = Guid.NewGuid();
        var launcher = recorded.Pipeline.Services.GetRequiredService<InProcessJobLauncher>();

        await recorded.Pipeline.Bus.Publish(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        await recorded.WaitForAsync<PretrainingCompleted>(id, TimeSpan.FromMinutes(2));

        // Two training shards: the target service's unit trained the tokenizer on shard 0; part 0 finds that shard
        // done and announces it again, part 1 computes shard 1.
        var computed = recorded.Events<TargetsComputed>(id).Select(e => (e.Shard, e.Reused)).ToList();
        Assert.Equal([("shard-000000.tar", false), ("shard-000000.tar", true), ("shard-000001.tar", false)], computed.Order());
        foreach (int part in new[] { 0, 1 })
        {
            var job = JobSpec.Tokens(id, new ShardPart(part, 2));
            Assert.Equal(JobState.Succeeded, await launcher.WaitForCompletionAsync(job.Name, CancellationToken.None));
        }
    }
}
