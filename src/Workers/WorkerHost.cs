using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Workers.Consumers;
using SemanticMIM.Workers.Orchestration;

namespace SemanticMIM.Workers;

/// <summary>
/// Builds the host of a long-running service (orchestrator, shard, target): service defaults (logging,
/// health, metrics, traces), the object store and the bus from configuration, and the consumers of its role.
/// Configuration: <c>Bus</c> (transport, RabbitMQ URI), <c>Storage</c> (folder or S3), <c>Cache</c> (local folder).
/// </summary>
public static class WorkerHost
{
    public static WebApplication Build(string[] args, string serviceName, ServiceRole role)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults(serviceName);
        builder.Services.AddSemanticMimObjectStore(builder.Configuration);
        builder.Services.AddSemanticMimWorkers(CacheFolder(builder.Configuration, serviceName), UnitRetryOptions.From(builder.Configuration));
        if (role.HasFlag(ServiceRole.Orchestrator))
        {
            builder.Services.AddInProcessJobs();
            builder.Services.AddHostedService<OrchestratorRecovery>();
            builder.Services.AddSingleton(builder.Configuration.GetSection(WatchdogOptions.SectionName).Get<WatchdogOptions>() ?? new WatchdogOptions());
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<ExperimentWatchdog>();
            builder.Services.AddHostedService(provider => provider.GetRequiredService<ExperimentWatchdog>());
        }
        builder.Services.AddSemanticMimBus(builder.Configuration, bus =>
        {
            if (role.HasFlag(ServiceRole.Orchestrator))
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
