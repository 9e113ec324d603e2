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
    private readonly IHost _host;

    private OrchestratorHarness(TempDirectory folder, IHost host)
    {
        _folder = folder;
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    public IBus Bus => Services.GetRequiredService<IBus>();

    public RecordingJobLauncher Launcher => Services.GetRequiredService<RecordingJobLauncher>();

    public ExperimentRepository Repository => Services.GetRequiredService<ExperimentRepository>();

    public MessageLog Messages => Services.GetRequiredService<MessageLog>();

    /// <param name="workers">Consumers that play a worker's part (one that fails, for example).</param>
    /// <param name="settings">Configuration the orchestrator reads, as keys like <c>Data:Roots:0</c>.</param>
    /// <param name="rabbitMq">A real broker's address; the in-memory bus when null.</param>
    public static async Task<OrchestratorHarness> StartAsync(Action<IBusRegistrationConfigurator>? workers = null,
        IReadOnlyDictionary<string, string?>? settings = null, Uri? rabbitMq = null)
    {
        var folder = new TempDirectory();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddSingleton<IObjectStore>(new FolderObjectStore(folder.Path));
        builder.Services.AddSingleton<RecordingJobLauncher>();
        builder.Services.AddSingleton<IJobLauncher>(provider => provider.GetRequiredService<RecordingJobLauncher>());
        builder.AddOrchestrator();
        builder.Services.AddSingleton<MessageLog>();
        builder.Services.AddBusConsumers(bus => bus.AddConsumer<MessageRecorder, MessageRecorderDefinition>());
        if (workers is not null)
        {
            builder.Services.AddBusConsumers(workers);
        }
        builder.AddBus(rabbitMq is null
            ? new BusOptions { Transport = BusOptions.InMemoryTransport }
            : new BusOptions { Transport = BusOptions.RabbitMqTransport, RabbitMq = rabbitMq.ToString() });
        var host = builder.Build();
        await host.StartAsync();
        return new OrchestratorHarness(folder, host);
    }

    public Task PublishAsync<T>(T message) where T : class => Bus.Publish(message);

    /// <summary>The first <typeparamref name="T"/> of an experiment, waiting for it.</summary>
    public Task<T> WaitForAsync<T>(Guid id) where T : class => Messages.WaitForAsync<T>(id, Patience);

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

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        _folder.Dispose();
    }
}
