using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// Token targets of large data sets go to GPU tokens jobs, one per contiguous part of the training shards; HOG
/// targets and small data sets stay on the target service; the jobs' TargetsComputed drive the same bookkeeping.
/// </summary>
public sealed class TokensJobsTests : IAsyncLifetime
{
    private static readonly string[] Shards = ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar", "shard-000003.tar"];

    /// <summary>GPUs for tokens jobs, 3 parts, above 100 training samples.</summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Data:Roots:0"] = "/data",
        ["Orchestrator:Tokens:Gpus"] = "1",
        ["Orchestrator:Tokens:SampleThreshold"] = "100",
        ["Orchestrator:Tokens:Parts"] = "3",
    };

    private OrchestratorHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await OrchestratorHarness.StartAsync(settings: Settings);

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_large_token_target_experiment_launches_one_tokens_job_per_part_and_their_targets_start_pretraining()
    {
        var id = await ShardedAsync(Specs.Tokens("large-dalle"), samples: 128);

        await WaitForAsync(() => _harness.Launcher.Launched.Count, 3);
        var record = await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Targets);
        foreach (string shard in Shards)
        {
            Assert.Equal(ExperimentPhase.Targets, (await _harness.Repository.GetAsync(id)).Phase);
            await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = shard });
        }
        await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Pretraining);
        await WaitForAsync(() => _harness.Launcher.Launched.Count(job => job.Kind == JobKinds.Pretraining), 1);

        Assert.Equal(3, record.TokensParts);
        Assert.Equal([.. Enumerable.Range(0, 3).Select(part => JobSpec.Tokens(id, new ShardPart(part, 3)))],
            _harness.Launcher.Launched.Where(job => job.Kind == JobKinds.Tokens).OrderBy(job => job.Part!.Index));
        Assert.Equal(3, _harness.Messages.Of<RunTokens>(id).Count(command => command.Parts == 3));
        Assert.Empty(_harness.Messages.Of<ComputeTargets>(id));
    }

    [Theory]
    [InlineData("small-dalle", false, 64)]
    [InlineData("large-hog", true, 128)]
    public async Task Hog_targets_and_small_data_sets_go_to_the_target_service(string name, bool hog, int samples)
    {
        var id = await ShardedAsync(hog ? Specs.Tiny(name) : Specs.Tokens(name), samples);

        await WaitForAsync(() => _harness.Messages.Of<ComputeTargets>(id).Count, Shards.Length);
        var record = await _harness.Repository.GetAsync(id);

        Assert.Equal(0, record.TokensParts);
        Assert.Equal(Shards, _harness.Messages.Of<ComputeTargets>(id).Select(command => command.Shard).Order());
        Assert.Empty(_harness.Messages.Of<RunTokens>(id));
        Assert.Empty(_harness.Launcher.Launched);
    }

    [Fact]
    public async Task Without_GPUs_for_tokens_jobs_every_target_goes_to_the_target_service()
    {
        await using var harness = await OrchestratorHarness.StartAsync(settings: new Dictionary<string, string?>(Settings) { ["Orchestrator:Tokens:Gpus"] = "0" });
        var id = await ShardedAsync(harness, Specs.Tokens("no-gpus"), samples: 128);

        await WaitForAsync(() => harness.Messages.Of<ComputeTargets>(id).Count, Shards.Length);

        Assert.Empty(harness.Messages.Of<RunTokens>(id));
    }

    [Fact]
    public async Task A_VQ_tokenizer_is_trained_by_the_target_services_first_unit_then_the_tokens_jobs_take_the_rest()
    {
        var id = await ShardedAsync(Specs.Tokens("large-vq", vq: true), samples: 128);

        var first = Assert.Single(await WaitForCountAsync<ComputeTargets>(id, 1));
        Assert.Empty(_harness.Launcher.Launched);
        await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = first.Shard });
        await WaitForAsync(() => _harness.Launcher.Launched.Count, 3);
        // The jobs announce the tokenizer's shard again (their part holds it); nothing more is requested.
        await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = first.Shard, Reused = true });
        await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = Shards[1] });
        await _harness.WaitForRecordAsync(id, r => r.PendingShards.Count == 2);
        await Task.Delay(200);

        Assert.Equal(Shards[0], first.Shard);
        Assert.Single(_harness.Messages.Of<ComputeTargets>(id));
        Assert.Equal(3, _harness.Messages.Of<RunTokens>(id).Count);
        Assert.True((await _harness.Repository.GetAsync(id)).AllTargetsRequested);
    }

    [Fact]
    public async Task A_tokens_job_that_failed_for_good_fails_the_experiment_in_targets_with_its_reason()
    {
        var id = await ShardedAsync(Specs.Tokens("failed-tokens"), samples: 128);
        await WaitForAsync(() => _harness.Launcher.Launched.Count, 3);
        var job = JobSpec.Tokens(id, new ShardPart(2, 3));

        await _harness.Services.GetRequiredService<IJobEndListener>().OnJobEndedAsync(
            new JobEnd(job.Name, id, JobKinds.Tokens, null, Succeeded: false, "CUDA error: out of memory"), CancellationToken.None);
        var failed = await _harness.WaitForAsync<ExperimentFailed>(id);
        await _harness.PublishAsync(new CancelExperiment { ExperimentId = id, Reason = "after the failure" });
        await Task.Delay(200);

        Assert.Equal((Stages.Targets, $"job {job.Name} failed: CUDA error: out of memory"), (failed.Stage, failed.Reason));
        var status = await _harness.StatusAsync(id);
        Assert.Equal(("failed", Stages.Targets), (status.State, status.Stage));
        Assert.Contains(job.Name, ExperimentOrchestrator.JobsOf(await _harness.Repository.GetAsync(id)));
    }

    [Fact]
    public async Task Recovery_requests_the_tokens_jobs_again_not_the_target_service()
    {
        var id = await ShardedAsync(Specs.Tokens("recovered"), samples: 128);
        var record = await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Targets);

        var commands = OrchestratorRecovery.PendingCommands(record).ToList();

        Assert.Equal([.. Enumerable.Range(0, 3).Select(part => new RunTokens { ExperimentId = id, Part = part, Parts = 3 })], commands);
    }

    [Theory]
    [InlineData("online-hog", "target: { kind: hog, views: 0 }")]
    [InlineData("online-vq", "target: { kind: tokens, tokenizer: vq, vocabSize: 16, views: 0 }")]
    public async Task Online_targets_have_no_target_units_so_sharding_is_followed_by_pretraining(string name, string target)
    {
        var id = Guid.NewGuid();
        await _harness.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = Specs.Tiny(name).Replace("target: { kind: hog, views: 2 }", target) });
        await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Sharding);
        await _harness.PublishAsync(new DatasetSharded { ExperimentId = id, Split = "train", Samples = 128, Shards = Shards });
        await _harness.PublishAsync(new DatasetSharded { ExperimentId = id, Split = "test", Samples = 32, Shards = ["shard-000000.tar"] });

        var record = await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Pretraining);
        await WaitForAsync(() => _harness.Launcher.Launched.Count, 1);

        Assert.Empty(record.PendingShards);
        Assert.Equal(0, record.TokensParts);
        Assert.All(_harness.Launcher.Launched, job => Assert.Equal(JobSpec.Pretraining(id), job));
        Assert.Empty(_harness.Messages.Of<ComputeTargets>(id));
        Assert.Empty(_harness.Messages.Of<RunTokens>(id));
        Assert.Equal([new RunPretraining { ExperimentId = id }], OrchestratorRecovery.PendingCommands(record));
    }

    private Task<Guid> ShardedAsync(string yaml, int samples) => ShardedAsync(_harness, yaml, samples);

    /// <summary>Starts an experiment and announces its training split (4 shards of <paramref name="samples"/> in all) and test split.</summary>
    private static async Task<Guid> ShardedAsync(OrchestratorHarness harness, string yaml, int samples)
    {
        var id = Guid.NewGuid();
        await harness.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        await harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Sharding);
        await harness.PublishAsync(new DatasetSharded { ExperimentId = id, Split = "train", Samples = samples, Shards = Shards });
        await harness.PublishAsync(new DatasetSharded { ExperimentId = id, Split = "test", Samples = 32, Shards = ["shard-000000.tar"] });
        await harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Targets);
        return id;
    }

    private async Task<IReadOnlyList<T>> WaitForCountAsync<T>(Guid id, int count) where T : class
    {
        await WaitForAsync(() => _harness.Messages.Of<T>(id).Count, count);
        return _harness.Messages.Of<T>(id);
    }

    private static async Task WaitForAsync(Func<int> count, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (count() < expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {expected}, saw {count()} within 30 s");
            }
            await Task.Delay(20);
        }
    }
}
