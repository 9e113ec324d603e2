using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SemanticMIM.Orchestration;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Workers.Consumers;
using SemanticMIM.Workers.Jobs;

namespace SemanticMIM.Workers;

/// <summary>The ML side's roles, each added to a host by its own method; the host adds the bus after them.</summary>
public static class WorkerRoles
{
    /// <summary>
    /// The shard service: plans a split's units, writes one shard per unit, commits a split's manifest; images over its
    /// <see cref="DataOptions"/> limits are skipped.
    /// </summary>
    public static IHostApplicationBuilder AddShardService(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddUnitWork();
        DataOptions.Register(builder.Services);
        builder.Services.AddBusConsumers(bus =>
        {
            bus.AddConsumer<ShardDatasetConsumer, ShardDatasetConsumerDefinition>();
            bus.AddConsumer<WriteShardConsumer, WriteShardConsumerDefinition>();
            bus.AddConsumer<CommitShardsConsumer, CommitShardsConsumerDefinition>();
        });
        return builder;
    }

    /// <summary>
    /// The target service: one training shard's recorded views and targets per unit (and the VQ tokenizer first); and the
    /// sweeps' reports, a few seconds of reading results and drawing plots that want the report code but no job of their own.
    /// </summary>
    public static IHostApplicationBuilder AddTargetService(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddUnitWork();
        builder.Services.TryAddSingleton<SweepRepository>();
        builder.Services.AddBusConsumers(bus =>
        {
            bus.AddConsumer<ComputeTargetsConsumer, ComputeTargetsConsumerDefinition>();
            bus.AddConsumer<WriteSweepReportConsumer, WriteSweepReportConsumerDefinition>();
        });
        return builder;
    }

    /// <summary>
    /// The trainer: runs pretraining jobs and tokens jobs (both want its GPU stack), one as a Kubernetes Job's container
    /// or many as a job agent (queues <c>jobs-pretraining</c> and <c>jobs-tokens</c>).
    /// </summary>
    public static IHostApplicationBuilder AddTrainer(this IHostApplicationBuilder builder) =>
        builder.AddExperimentJobs(JobKinds.Pretraining, JobKinds.Tokens);

    /// <summary>The evaluator: runs evaluation and report jobs, one as a Kubernetes Job's container or many as a job agent.</summary>
    public static IHostApplicationBuilder AddEvaluator(this IHostApplicationBuilder builder) =>
        builder.AddExperimentJobs(JobKinds.Evaluation, JobKinds.Report);

    /// <summary>
    /// Every job of the embedded run in this process, announcing failures itself (nothing retries an in-process
    /// job). Services never run jobs in process: a job must outlive the orchestrator that launched it.
    /// </summary>
    public static IServiceCollection AddInProcessJobs(this IServiceCollection services)
    {
        services.AddExperimentRecords();
        services.AddSingleton(new JobFailurePolicy(AnnounceFailures: true));
        return services.AddInProcessJobLauncher<ExperimentJobRunner>();
    }

    private static IHostApplicationBuilder AddExperimentJobs(this IHostApplicationBuilder builder, params string[] kinds)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddExperimentRecords();
        // Kubernetes retries a failed pod (backoffLimit), the agents' supervisor a failed job; each reports it once it gives up.
        builder.Services.AddSingleton(new JobFailurePolicy(AnnounceFailures: false));
        return builder.AddJobs<ExperimentJobRunner>(kinds);
    }

    private static IServiceCollection AddUnitWork(this IServiceCollection services)
    {
        services.AddExperimentRecords();
        services.AddValidatedOptions<UnitRetryOptions, UnitRetryOptionsValidator>(UnitRetryOptions.SectionName, UnitRetryOptions.ApplyDefaults);
        return services;
    }
}
