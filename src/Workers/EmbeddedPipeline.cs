using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Workers.Consumers;

namespace SemanticMIM.Workers;

/// <summary>
/// The whole platform in one process, as <c>semanticmim run</c> uses it: every consumer of every service on
/// MassTransit's in-memory transport, the folder store, and trainer and evaluator jobs launched in process.
/// It is the cluster's code path with only the adapters swapped.
/// </summary>
public sealed class EmbeddedPipeline : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedPipeline(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public ExperimentEventHub Events => _host.Services.GetRequiredService<ExperimentEventHub>();

    public static async Task<EmbeddedPipeline> StartAsync(string runFolder, UnitRetryOptions? retry = null, CancellationToken cancellation = default)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The console belongs to the progress display: only problems are logged there.
        builder.Logging.AddSimpleConsole(options => options.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IObjectStore>(new FolderObjectStore(runFolder));
        builder.Services.AddSemanticMimWorkers(Path.Combine(runFolder, ".cache"), retry);
        builder.Services.AddSingleton<ExperimentEventHub>();
        builder.Services.AddInProcessJobs();
        builder.Services.AddSemanticMimBus(new BusOptions { Transport = BusOptions.InMemoryTransport }, bus =>
        {
            bus.AddOrchestratorConsumers();
            bus.AddJobConsumers();
            bus.AddShardConsumers();
            bus.AddTargetConsumers();
            bus.AddConsumer<ExperimentEventConsumer, ExperimentEventConsumerDefinition>();
        });
        var host = builder.Build();
        await host.StartAsync(cancellation);
        return new EmbeddedPipeline(host);
    }

    /// <summary>Publishes <see cref="StartExperiment"/> and waits until the follower sees the experiment end.</summary>
    public async Task<ExperimentEnd> RunAsync(StartExperiment start, ExperimentFollower follower, CancellationToken cancellation = default)
    {
        using var subscription = Events.Subscribe(follower.Handle);
        await Bus.Publish(start, cancellation);
        return await follower.Completion.WaitAsync(cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
