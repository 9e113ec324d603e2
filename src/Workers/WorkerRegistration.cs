using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Telemetry;
using SemanticMIM.Workers.Consumers;
using SemanticMIM.Workers.Jobs;
using SemanticMIM.Workers.Orchestration;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers;

/// <summary>What every host registers: the shared services, and the consumers of the role it plays.</summary>
public static class WorkerRegistration
{
    /// <param name="cacheRoot">Local folder for copies of remote objects and for output before upload.</param>
    public static IServiceCollection AddSemanticMimWorkers(this IServiceCollection services, string cacheRoot, UnitRetryOptions? retry = null)
    {
        services.AddSingleton(retry ?? new UnitRetryOptions());
        services.AddSingleton(provider => new StoreFiles(provider.GetRequiredService<IObjectStore>(), cacheRoot));
        services.AddSingleton<ExperimentRepository>();
        services.AddSingleton<ExperimentPlans>();
        services.AddSingleton<ExperimentOrchestrator>();
        services.AddSemanticMimMetrics();
        return services;
    }

    /// <summary>Runs trainer and evaluator jobs inside this process (embedded mode, or an orchestrator without a cluster).</summary>
    public static IServiceCollection AddInProcessJobs(this IServiceCollection services) =>
        services.AddInProcessJobLauncher<ExperimentJobRunner>();

    public static void AddOrchestratorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<StartExperimentConsumer, StartExperimentConsumerDefinition>();
        bus.AddConsumer<ShardWrittenConsumer, ShardWrittenConsumerDefinition>();
        bus.AddConsumer<DatasetShardedConsumer, DatasetShardedConsumerDefinition>();
        bus.AddConsumer<TargetsComputedConsumer, TargetsComputedConsumerDefinition>();
        bus.AddConsumer<TrainingProgressedConsumer, TrainingProgressedConsumerDefinition>();
        bus.AddConsumer<PretrainingCompletedConsumer, PretrainingCompletedConsumerDefinition>();
        bus.AddConsumer<EvaluationCompletedConsumer, EvaluationCompletedConsumerDefinition>();
        bus.AddConsumer<ExperimentFailedConsumer, ExperimentFailedConsumerDefinition>();
        bus.AddConsumer<CancelExperimentConsumer, CancelExperimentConsumerDefinition>();
        bus.AddConsumer<GetExperimentStatusConsumer, GetExperimentStatusConsumerDefinition>();
        bus.AddConsumer<UnitFaultConsumer, UnitFaultConsumerDefinition>();
    }

    /// <summary>The consumers that launch trainer and evaluator jobs (hosted by the orchestrator).</summary>
    public static void AddJobConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RunPretrainingConsumer, RunPretrainingConsumerDefinition>();
        bus.AddConsumer<RunEvaluationConsumer, RunEvaluationConsumerDefinition>();
    }

    public static void AddShardConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<ShardDatasetConsumer, ShardDatasetConsumerDefinition>();
        bus.AddConsumer<WriteShardConsumer, WriteShardConsumerDefinition>();
    }

    public static void AddTargetConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<ComputeTargetsConsumer, ComputeTargetsConsumerDefinition>();
}
