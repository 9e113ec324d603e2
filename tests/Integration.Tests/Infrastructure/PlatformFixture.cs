using System.Text;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Resilience;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>
/// The platform of one test class as a deployment without Kubernetes runs it: the orchestrator, the shard and target
/// services, and a trainer and an evaluator as job agents (the orchestrator launches its jobs on them through the
/// broker), each its own process, on the collection's broker and on a bucket of their own; a <see cref="BusClient"/>
/// and an <see cref="S3ObjectStore"/> on the same broker and bucket for the tests. Started by the first test of the
/// class that needs it, stopped after the last.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly TimeSpan ExperimentTimeout = TimeSpan.FromMinutes(4);

    private readonly TempDirectory _scratch = new();
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private bool _started;
    private Exception? _startFailure;

    public string Bucket { get; } = "it-" + Guid.NewGuid().ToString("N")[..20];

    public InfrastructureFixture Infrastructure { get; private set; } = null!;

    public ServiceProcess Orchestrator { get; private set; } = null!;

    public ServiceProcess Shard { get; private set; } = null!;

    public ServiceProcess Target { get; private set; } = null!;

    /// <summary>The trainer's job agent: runs pretraining jobs.</summary>
    public ServiceProcess Trainer { get; private set; } = null!;

    /// <summary>The evaluator's job agent: runs evaluation and report jobs.</summary>
    public ServiceProcess Evaluator { get; private set; } = null!;

    public IReadOnlyList<ServiceProcess> Services => [Orchestrator, Shard, Target, Trainer, Evaluator];

    public BusClient Client { get; private set; } = null!;

    /// <summary>The bucket, read as the services read it (S3ObjectStore behind the same retrying ResilientObjectStore).</summary>
    public IObjectStore Store { get; private set; } = null!;

    private S3ObjectStore? _rawStore;
    private readonly BufferLogger _storeLog = new();

    public string ScratchFolder => _scratch.Path;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Starts the five services (in parallel) and the clients, once.</summary>
    public async Task EnsureStartedAsync(InfrastructureFixture infrastructure)
    {
        await _startGate.WaitAsync();
        try
        {
            if (_started)
            {
                if (_startFailure is not null)
                {
                    throw new InvalidOperationException($"the platform of this class did not start: {_startFailure.Message}", _startFailure);
                }
                return;
            }
            _started = true;
            Infrastructure = infrastructure;
            _rawStore = await S3ObjectStore.CreateAsync(infrastructure.StoreOptions(Bucket));
            Store = ResilientObjectStore.Create(_rawStore, logger: _storeLog);
            var environment = infrastructure.ServiceEnvironment(Bucket);
            Orchestrator = new ServiceProcess("Orchestrator", environment, _scratch.Path);
            Shard = new ServiceProcess("Shard", environment, _scratch.Path);
            Target = new ServiceProcess("Target", environment, _scratch.Path);
            Trainer = new ServiceProcess("Trainer", environment, _scratch.Path);
            Evaluator = new ServiceProcess("Evaluator", environment, _scratch.Path);
            await Task.WhenAll(Services.Select(s => s.StartAsync()));
            Client = await BusClient.CreateAsync(infrastructure.AmqpUri);
        }
        catch (Exception error)
        {
            _startFailure = error;
            throw;
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>
    /// Runs one test's body with an <see cref="EventRecorder"/>; when it fails, writes what the services logged
    /// meanwhile, the events, the orchestrator's records and the infrastructure's output to the test's output
    /// (with SEMANTICMIM_TEST_LOGS=always, also when it passes).
    /// </summary>
    public async Task RunAsync(InfrastructureFixture infrastructure, ITestOutputHelper output, Func<EventRecorder, Task> test)
    {
        var starts = new Dictionary<string, int>();
        EventRecorder? events = null;
        try
        {
            await EnsureStartedAsync(infrastructure);
            foreach (var service in Services)
            {
                starts[service.Name] = service.LogLength;
                if (!service.IsRunning)
                {
                    // An earlier test of the class failed between a kill and the restart.
                    output.WriteLine($"{service.Name} was not running at the start of the test: started again");
                    await service.StartAsync();
                }
            }
            events = await EventRecorder.StartAsync(Client);
            await test(events);
            if (Environment.GetEnvironmentVariable("SEMANTICMIM_TEST_LOGS") == "always")
            {
                output.WriteLine(await DiagnosisAsync(starts, events));
            }
        }
        catch (Exception error)
        {
            output.WriteLine($"FAILED: {error.GetType().Name}: {error.Message}");
            output.WriteLine(await DiagnosisAsync(starts, events));
            throw;
        }
        finally
        {
            if (events is not null)
            {
                await events.DisposeAsync();
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
        foreach (var service in Services.Where(s => s is not null))
        {
            await service.DisposeAsync();
        }
        _rawStore?.Dispose();
        _scratch.Dispose();
        _startGate.Dispose();
    }

    private async Task<string> DiagnosisAsync(Dictionary<string, int> starts, EventRecorder? events)
    {
        var text = new StringBuilder();
        text.AppendLine($"==== bucket {Bucket}; events received during the test:");
        text.Append(events?.Describe() ?? "  (no subscription)\n");
        if (_storeLog.Text is { Length: > 0 } storeLog)
        {
            text.AppendLine("==== the tests' own store client retried:").AppendLine(storeLog);
        }
        if (Store is not null)
        {
            text.AppendLine("==== orchestrator records:");
            try
            {
                await foreach (var item in Store.ListAsync("orchestrator/experiments/"))
                {
                    await using var stream = await Store.GetAsync(item.Key);
                    text.AppendLine($"-- {item.Key}").AppendLine(await new StreamReader(stream).ReadToEndAsync());
                }
            }
            catch (Exception error)
            {
                text.AppendLine($"  (could not read them: {error.Message})");
            }
        }
        if (Store is not null)
        {
            text.AppendLine("==== job records:");
            try
            {
                await foreach (var item in Store.ListAsync("jobs/"))
                {
                    text.AppendLine($"-- {item.Key}").AppendLine(await Store.ReadTextAsync(item.Key));
                }
            }
            catch (Exception error)
            {
                text.AppendLine($"  (could not read them: {error.Message})");
            }
        }
        foreach (var service in Services.Where(s => s is not null))
        {
            text.AppendLine($"==== {service.Name} ({(service.IsRunning ? "running" : "not running")}), log during the test:");
            text.AppendLine(Tail(service.LogSince(starts.GetValueOrDefault(service.Name)), 600));
        }
        if (Infrastructure is not null)
        {
            text.AppendLine("==== infrastructure.sh:").AppendLine(Infrastructure.Log);
        }
        return text.ToString();
    }

    private static string Tail(string log, int lines)
    {
        var all = log.Split('\n');
        return all.Length <= lines ? log : $"(… {all.Length - lines} earlier lines)\n" + string.Join('\n', all[^lines..]);
    }
}

/// <summary>Reads from the store as the tests need it.</summary>
public static class StoreReading
{
    public static async Task<string> ReadTextAsync(this IObjectStore store, string key)
    {
        await using var stream = await store.GetAsync(key);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    public static async Task<byte[]> ReadBytesAsync(this IObjectStore store, string key)
    {
        await using var stream = await store.GetAsync(key);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public static async Task<List<StoredObject>> ListAllAsync(this IObjectStore store, string prefix)
    {
        var objects = new List<StoredObject>();
        await foreach (var item in store.ListAsync(prefix))
        {
            objects.Add(item);
        }
        return objects;
    }
}

/// <summary>Keeps what a component logs (warnings and up) for a failed test's output.</summary>
public sealed class BufferLogger : ILogger
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        lock (_text)
        {
            _text.AppendLine($"  {DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
        }
    }
}
