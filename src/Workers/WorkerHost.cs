using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Workers.Consumers;
using SemanticMIM.Workers.Jobs;
using SemanticMIM.Workers.Orchestration;

namespace SemanticMIM.Workers;

/// <summary>
/// Builds the host of a long-running service (orchestrator, shard, target): service defaults (logging,
/// health, metrics, traces), the object store and the bus from configuration, and the consumers of its role.
/// Configuration: <c>Bus</c> (transport, RabbitMQ URI), <c>Storage</c> (folder or S3), <c>Cache</c> (local folder);
/// for the orchestrator also <c>Jobs</c> (<c>Jobs:Launcher=kubernetes</c>: Kubernetes Jobs, otherwise in process) and
/// <c>LeaderElection</c> (with a <c>LeaseName</c>: only the elected replica does the orchestrator's work).
/// </summary>
public static class WorkerHost
{
    public static WebApplication Build(string[] args, string serviceName, ServiceRole role)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(serviceName);
        builder.Services.AddSemanticMimObjectStore(builder.Configuration);
        builder.Services.AddSemanticMimWorkers(CacheFolder(builder.Configuration, serviceName), UnitRetryOptions.From(builder.Configuration));
        // With LeaderElection:LeaseName (replicated orchestrators), only the Lease's holder consumes orchestrator and
        // job messages and runs recovery and the watchdog; the bus runs on every replica, so standbys stay ready.
        // Registered first, the elector stops last and gives the Lease up once the gated services have stopped.
        bool leaderElection = role.HasFlag(ServiceRole.Orchestrator) && LeaderElectionOptions.IsEnabled(builder.Configuration);
        if (role.HasFlag(ServiceRole.Orchestrator))
        {
            if (leaderElection)
            {
                builder.Services.AddLeaseLeaderElection(builder.Configuration);
            }
            if (KubernetesJobsOptions.IsSelected(builder.Configuration))
            {
                // Jobs:Launcher=kubernetes: trainer and evaluator Jobs; a Job that dies without a word fails its experiment.
                builder.Services.AddSingleton<IJobEndListener, JobEndReporter>();
                builder.Services.AddKubernetesJobs(builder.Configuration);
            }
            else
            {
                builder.Services.AddInProcessJobs();
            }
            builder.Services.AddSingleton(builder.Configuration.GetSection(WatchdogOptions.SectionName).Get<WatchdogOptions>() ?? new WatchdogOptions());
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<ExperimentWatchdog>();
            if (leaderElection)
            {
                builder.Services.AddLeaderGatedHostedService<OrchestratorRecovery>();
                builder.Services.AddLeaderGatedHostedService<ExperimentWatchdog>();
            }
            else
            {
                builder.Services.AddHostedService<OrchestratorRecovery>();
                builder.Services.AddHostedService(provider => provider.GetRequiredService<ExperimentWatchdog>());
            }
        }
        builder.Services.AddSemanticMimBus(builder.Configuration, bus =>
        {
            if (leaderElection)
            {
                bus.AddLeaderOnlyConsumers(leaderOnly =>
                {
                    leaderOnly.AddOrchestratorConsumers();
                    leaderOnly.AddJobConsumers();
                });
            }
            else if (role.HasFlag(ServiceRole.Orchestrator))
            {
                bus.AddOrchestratorConsumers();
                bus.AddJobConsumers();
            }
            if (role.HasFlag(ServiceRole.Shard))
            {
                bus.AddShardConsumers();
            }
            if (role.HasFlag(ServiceRole.Target))
            {
                bus.AddTargetConsumers();
            }
        });
        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>The local folder for copies of remote objects and for output before upload (<c>Cache</c>, or the temp folder).</summary>
    public static string CacheFolder(IConfiguration configuration, string serviceName) =>
        configuration["Cache"] is { Length: > 0 } cache ? cache : Path.Combine(Path.GetTempPath(), "semanticmim", serviceName);
}
