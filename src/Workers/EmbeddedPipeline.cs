using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Orchestration;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers;

/// <summary>
/// The whole platform in one process, as <c>semanticmim run</c> uses it: the orchestrator and the shard and target
/// services on MassTransit's in-memory transport, the folder store (or a configured one), and every job run in
/// process. It is the cluster's code path with only the adapters swapped.
/// </summary>
public sealed class EmbeddedPipeline : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedPipeline(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IBus Bus => _host.Services.GetRequiredService<IBus>();

    public ExperimentEventHub Events => _host.Services.GetRequiredService<ExperimentEventHub>();

    /// <param name="runFolder">The object store (a folder), or only the cache of a store the settings configure.</param>
    /// <param name="settings">
    /// Configuration the services read, as keys like <c>Retry:Intervals:0</c> (tests shorten retries); with a
    /// <c>Storage:Kind</c>, the store of that section (<see cref="ObjectStoreOptions"/>) replaces the run folder's.
    /// </param>
    public static async Task<EmbeddedPipeline> StartAsync(string runFolder, IReadOnlyDictionary<string, string?>? settings = null,
        CancellationToken cancellation = default)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The user runs this on their own machine: their specs may read any path they can (a service reads only its roots).
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"{DataOptions.SectionName}:Roots:0"] = "/" });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        // The console belongs to the progress display: only problems are logged there.
        builder.Logging.AddSimpleConsole(options => options.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        if (builder.Configuration.GetSection(ObjectStoreOptions.SectionName)[nameof(ObjectStoreOptions.Kind)] is null)
        {
            var store = new FolderObjectStore(runFolder);
            builder.Services.AddSingleton<IObjectStore>(store);
            builder.Services.AddSingleton(new StoreFiles(store, Path.Combine(runFolder, ".cache")));
        }
        else
        {
            // A configured store (an S3 bucket, retried as in the cluster): the run folder only caches its objects.
            builder.Services.AddSemanticMimObjectStore(builder.Configuration);
            builder.Services.AddSingleton(provider => new StoreFiles(provider.GetRequiredService<IObjectStore>(), Path.Combine(runFolder, ".cache")));
        }
        builder.AddOrchestrator();
        builder.AddShardService();
        builder.AddTargetService();
        builder.Services.AddInProcessJobs();
        builder.Services.AddSingleton<ExperimentEventHub>();
        builder.Services.AddBusConsumers(bus => bus.AddConsumer<ExperimentEventConsumer, ExperimentEventConsumerDefinition>());
        builder.AddBus(new BusOptions { Transport = BusOptions.InMemoryTransport });
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
