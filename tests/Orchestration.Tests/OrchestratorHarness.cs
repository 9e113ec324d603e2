using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// The orchestrator's role alone, as its host composes it, on the in-memory bus and a folder store; the job launcher
/// is <see cref="RecordingJobLauncher"/>, so a test sees exactly which jobs the orchestrator launches and cancels, and
/// every event and command it publishes is recorded. Given a RabbitMQ address it joins that broker instead.
/// </summary>
public sealed class OrchestratorHarness : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _folder;
    private readonly bool _ownsFolder;
    private readonly IHost _host;

    private OrchestratorHarness(TempDirectory folder, bool ownsFolder, IHost host)
    {
        _folder = folder;
        _ownsFolder = ownsFolder;
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    public IBus Bus => Services.GetRequiredService<IBus>();

    public RecordingJobLauncher Launcher => Services.GetRequiredService<RecordingJobLauncher>();

    public ExperimentRepository Repository => Services.GetRequiredService<ExperimentRepository>();

    public MessageLog Messages => Services.GetRequiredService<MessageLog>();

    public SweepRepository Sweeps => Services.GetRequiredService<SweepRepository>();

    public IObjectStore Store => Services.GetRequiredService<IObjectStore>();

    /// <param name="workers">Consumers that play a worker's part (one that fails, for example).</param>
    /// <param name="settings">Configuration the orchestrator reads, as keys like <c>Data:Roots:0</c>.</param>
    /// <param name="rabbitMq">A real broker's address; the in-memory bus when null.</param>
    /// <param name="store">The store's folder, when it outlives this orchestrator (a restart); a folder of its own when null.</param>
    /// <param name="roles">Other roles the host runs beside the orchestrator (the target service, for a sweep's report).</param>
    public static async Task<OrchestratorHarness> StartAsync(Action<IBusRegistrationConfigurator>? workers = null,
        IReadOnlyDictionary<string, string?>? settings = null, Uri? rabbitMq = null, TempDirectory? store = null,
        Action<IHostApplicationBuilder>? roles = null)
    {
        var folder = store ?? new TempDirectory();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var objects = new FolderObjectStore(folder.Path);
        builder.Services.AddSingleton<IObjectStore>(objects);
        builder.Services.AddSingleton(new StoreFiles(objects, Path.Combine(folder.Path, ".cache")));
        builder.Services.AddSingleton<RecordingJobLauncher>();
        builder.Services.AddSingleton<IJobLauncher>(provider => provider.GetRequiredService<RecordingJobLauncher>());
        builder.AddOrchestrator();
        builder.Services.AddSingleton<MessageLog>();
        builder.Services.AddBusConsumers(bus => bus.AddConsumer<MessageRecorder, MessageRecorderDefinition>());
        if (workers is not null)
        {
            builder.Services.AddBusConsumers(workers);
        }
        roles?.Invoke(builder);
        builder.AddBus(rabbitMq is null
            ? new BusOptions { Transport = BusOptions.InMemoryTransport }
            : new BusOptions { Transport = BusOptions.RabbitMqTransport, RabbitMq = rabbitMq.ToString() });
        var host = builder.Build();
        await host.StartAsync();
        return new OrchestratorHarness(folder, store is null, host);
    }

    public Task PublishAsync<T>(T message) where T : class => Bus.Publish(message);

    /// <summary>The first <typeparamref name="T"/> of an experiment, waiting for it.</summary>
    public Task<T> WaitForAsync<T>(Guid id) where T : class => Messages.WaitForAsync<T>(id, Patience);

    /// <summary>Waits until the sweep record of <paramref name="id"/> satisfies <paramref name="condition"/>.</summary>
    public async Task<SweepRecord> WaitForSweepAsync(Guid id, Func<SweepRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await Sweeps.FindAsync(id) is { } record && condition(record))
            {
                return record;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"the record of sweep {id} did not reach the expected state within {Patience}");
    }

    /// <summary>Waits until the record of <paramref name="id"/> satisfies <paramref name="condition"/>.</summary>
    public async Task<ExperimentRecord> WaitForRecordAsync(Guid id, Func<ExperimentRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await Repository.FindAsync(id) is { } record && condition(record))
            {
                return record;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"the record of {id} did not reach the expected state within {Patience}");
    }

    /// <summary>Waits until the launcher was asked to launch the job <paramref name="name"/>.</summary>
    public async Task WaitForLaunchAsync(string name)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!Launcher.Launched.Any(job => job.Name == name))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {name} was not launched within {Patience}");
            }
            await Task.Delay(20);
        }
    }

    public async Task<ExperimentStatus> StatusAsync(Guid id)
    {
        var client = Bus.CreateRequestClient<GetExperimentStatus>();
        return (await client.GetResponse<ExperimentStatus>(new GetExperimentStatus { ExperimentId = id })).Message;
    }

    /// <summary>Saves a record as if the experiment had reached <paramref name="phase"/>.</summary>
    public async Task<Guid> SaveAsync(ExperimentPhase phase, string yaml)
    {
        var id = Guid.NewGuid();
        await Repository.SaveAsync(new ExperimentRecord
        {
            Id = id, SpecYaml = yaml, Name = "saved", Phase = phase, PendingShards = ["shard-000000.tar"], PendingEvaluations = [0],
        });
        return id;
    }

    /// <summary>
    /// Stops the orchestrator as a crash or a rollout would, keeping its store for the next one. It is disposed later: a
    /// disposed host takes the logger factory MassTransit's next bus in this process would still use.
    /// </summary>
    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        if (_ownsFolder)
        {
            _folder.Dispose();
        }
    }
}
