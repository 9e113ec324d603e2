using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Orchestration;

public static class OrchestratorRegistration
{
    /// <summary>
    /// The orchestrator's role: <see cref="ExperimentOrchestrator"/> on the <c>orchestrator</c> queue and
    /// <see cref="SweepOrchestrator"/> on <c>orchestrator-sweeps</c>, their recovery and
    /// watchdog (<see cref="OrchestratorOptions"/>), and the <see cref="JobEndReporter"/> that fails an experiment whose
    /// job failed for good. With <c>LeaderElection:LeaseName</c> (replicated orchestrators) only the Lease's holder
    /// consumes and runs recovery and the watchdog; the bus runs on every replica, so standbys stay ready. The host
    /// adds a job launcher (<see cref="JobHosting.AddJobLauncher"/>, or in process when embedded) and then the bus.
    /// </summary>
    public static IHostApplicationBuilder AddOrchestrator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        bool leaderElection = LeaderElectionOptions.IsEnabled(builder.Configuration);
        if (leaderElection)
        {
            // Registered first, the elector stops last and gives the Lease up once the gated services have stopped.
            builder.Services.AddLeaseLeaderElection(builder.Configuration);
        }
        builder.Services.AddOrchestration();
        builder.Services.AddLeaderGatedHostedService<OrchestratorRecovery>();
        builder.Services.AddLeaderGatedHostedService<ExperimentWatchdog>();
        builder.Services.AddLeaderGatedHostedService<SweepRecovery>();
        builder.Services.AddBusConsumers(bus =>
        {
            // Leader-only endpoints connect after the host starts; without an election the orchestrator consumes from
            // the start, as the embedded run's in-memory bus (which drops messages for missing endpoints) needs.
            if (leaderElection)
            {
                bus.AddLeaderOnlyConsumers(leaderOnly =>
                {
                    leaderOnly.AddConsumer<ExperimentOrchestrator, ExperimentOrchestratorDefinition>();
                    leaderOnly.AddConsumer<SweepOrchestrator, SweepOrchestratorDefinition>();
                });
            }
            else
            {
                bus.AddConsumer<ExperimentOrchestrator, ExperimentOrchestratorDefinition>();
                bus.AddConsumer<SweepOrchestrator, SweepOrchestratorDefinition>();
            }
        });
        return builder;
    }

    /// <summary>What the workers and jobs read of the orchestrator's state: the experiment records and the plans in them.</summary>
    public static IServiceCollection AddExperimentRecords(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ExperimentRepository>();
        services.TryAddSingleton<ExperimentPlans>();
        services.AddSemanticMimMetrics();
        return services;
    }

    private static IServiceCollection AddOrchestration(this IServiceCollection services)
    {
        services.AddExperimentRecords();
        services.AddValidatedOptions<OrchestratorOptions, OrchestratorOptionsValidator>(OrchestratorOptions.SectionName);
        services.AddSpecLimits();
        services.TryAddSingleton<ExperimentLocks>();
        services.TryAddSingleton<ExperimentOutbox>();
        services.TryAddSingleton<SweepRepository>();
        services.TryAddSingleton<SweepOutbox>();
        services.TryAddSingleton<PretrainingClaims>();
        services.Replace(ServiceDescriptor.Singleton<IJobEndListener, JobEndReporter>());
        return services;
    }
}
