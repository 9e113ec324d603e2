using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Platform.Kubernetes.Tests.Jobs;

/// <summary>The tokens job's description: its name, its part of the shards, and how its container reads it back.</summary>
public sealed class TokensJobSpecTests
{
    static readonly Guid Experiment = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    [Fact]
    public void A_tokens_job_is_named_by_its_experiment_and_part_and_needs_its_part()
    {
        var job = JobSpec.Tokens(Experiment, new ShardPart(1, 4));

        Assert.Equal($"tokens-{Experiment:N}-1", job.Name);
        Assert.Equal(JobKinds.Tokens, job.Kind);
        Assert.Empty(job.Validate());
        Assert.Equal(job, JobSpec.Of(JobKinds.Tokens, Experiment, part: new ShardPart(1, 4)));
        Assert.Throws<ArgumentException>(() => JobSpec.Of(JobKinds.Tokens, Experiment));
        Assert.Contains("Part is required for a tokens job.", (job with { Part = null }).Validate());
        Assert.Contains("Part must be absent for a pretraining job.", (JobSpec.Pretraining(Experiment) with { Part = new ShardPart(0, 1) }).Validate());
        Assert.Single((job with { Part = new ShardPart(4, 4) }).Validate(), problem => problem.StartsWith("Part is 4 of 4", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(2, 4)]
    [InlineData(7, 7)]
    [InlineData(0, 2)]
    public void Parts_cover_every_shard_once_in_order_and_differ_by_at_most_one(int shards, int parts)
    {
        var covered = Enumerable.Range(0, parts)
            .SelectMany(index => Enumerable.Range(0, shards).ToArray()[new ShardPart(index, parts).Of(shards)])
            .ToList();
        var lengths = Enumerable.Range(0, parts).Select(index => new ShardPart(index, parts).Of(shards).GetOffsetAndLength(shards).Length).ToList();

        Assert.Equal(Enumerable.Range(0, shards), covered);
        Assert.True(lengths.Max() - lengths.Min() <= 1);
    }

    [Fact]
    public void The_container_reads_its_part_back_from_the_job_environment()
    {
        var options = new JobOptions { Name = $"tokens-{Experiment:N}-2", Kind = JobKinds.Tokens, ExperimentId = Experiment, Part = 2, Parts = 3 };
        var validator = new JobOptionsValidator(new JobHostKinds([JobKinds.Pretraining, JobKinds.Tokens]));

        Assert.True(validator.Validate(null, options).Succeeded);
        Assert.Equal(JobSpec.Tokens(Experiment, new ShardPart(2, 3)), options.ToSpec(JobKinds.Pretraining));

        var missing = validator.Validate(null, new JobOptions { Kind = JobKinds.Tokens, ExperimentId = Experiment, Part = 3, Parts = 3 });
        Assert.Contains("Job:Part and Job:Parts must name a part", missing.FailureMessage, StringComparison.Ordinal);
        var misplaced = validator.Validate(null, new JobOptions { Kind = JobKinds.Pretraining, ExperimentId = Experiment, Part = 0, Parts = 1 });
        Assert.Contains("Job:Part and Job:Parts apply to tokens jobs only.", misplaced.FailureMessage, StringComparison.Ordinal);
    }
}
