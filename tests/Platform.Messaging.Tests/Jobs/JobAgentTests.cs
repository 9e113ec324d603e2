using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Agents;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Messaging.Tests.Jobs;

/// <summary>
/// The agent launcher end to end on a real RabbitMQ: an orchestrator-side host (<see cref="BrokerJobLauncher"/> and its
/// supervisor) and job agents in hosts of their own, sharing a folder store for the job records, as the services do.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class JobAgentTests(RabbitMqFixture broker) : IAsyncLifetime
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    readonly TempDirectory _store = new();
    readonly JobScript _script = new();
    readonly RecordingEndListener _ends = new();
    readonly List<IHost> _hosts = [];
    IHost _orchestrator = null!;

    IJobLauncher Launcher => _orchestrator.Services.GetRequiredService<IJobLauncher>();

    JobRecords Records => _orchestrator.Services.GetRequiredService<JobRecords>();

    public async Task InitializeAsync() => _orchestrator = await StartOrchestratorAsync();

    public async Task DisposeAsync()
    {
        _script.ReleaseAll();
        foreach (var host in _hosts)
        {
            await StopAsync(host);
        }
        _store.Dispose();
    }

    [Fact]
    public async Task A_launched_job_runs_once_on_one_agent_and_launching_it_again_changes_nothing()
    {
        await StartAgentAsync("agent-a");
        await StartAgentAsync("agent-b");
        var job = JobSpec.Pretraining(Guid.NewGuid());
        _script.HoldUntilReleased(job.Name);

        await Launcher.LaunchAsync(job, CancellationToken.None);
        await WaitForAsync(() => _script.Started(job.Name) == 1, "the job started");
        await Launcher.LaunchAsync(job, CancellationToken.None);
        Assert.Equal(JobState.Running, await Launcher.GetStateAsync(job.Name, CancellationToken.None));
        _script.Release(job.Name);
        await WaitForStatusAsync(job.Name, JobRunStatus.Succeeded);
        await Launcher.LaunchAsync(job, CancellationToken.None);
        await Task.Delay(1000);

        Assert.Equal(1, _script.Started(job.Name));
        var record = await Records.FindAsync(job.Name);
        Assert.Equal((JobRunStatus.Succeeded, 1, 0), (record!.Status, record.Attempt, record.Failures));
        Assert.Contains(record.Agent, new[] { "agent-a", "agent-b" });
        Assert.NotNull(record.EndedAt);
        Assert.Equal(JobState.Succeeded, await Launcher.GetStateAsync(job.Name, CancellationToken.None));
    }

    [Fact]
    public async Task An_agent_whose_slot_is_busy_takes_no_request_so_the_next_job_goes_to_the_other_agent()
    {
        await StartAgentAsync("agent-a");
        await StartAgentAsync("agent-b");
        var first = JobSpec.Pretraining(Guid.NewGuid());
        var second = JobSpec.Pretraining(Guid.NewGuid());
        _script.HoldUntilReleased(first.Name);
        _script.HoldUntilReleased(second.Name);

        await Launcher.LaunchAsync(first, CancellationToken.None);
        await WaitForAsync(() => _script.Started(first.Name) == 1, "the first job started");
        await Launcher.LaunchAsync(second, CancellationToken.None);
        await WaitForAsync(() => _script.Started(second.Name) == 1, "the second job started while the first ran");
        string firstAgent = (await Records.FindAsync(first.Name))!.Agent!;
        string secondAgent = (await Records.FindAsync(second.Name))!.Agent!;
        _script.ReleaseAll();
        await WaitForStatusAsync(first.Name, JobRunStatus.Succeeded);
        await WaitForStatusAsync(second.Name, JobRunStatus.Succeeded);

        Assert.NotEqual(firstAgent, secondAgent);
        Assert.Equal(1, _script.MostAtOnce("agent-a"));
        Assert.Equal(1, _script.MostAtOnce("agent-b"));
    }

    [Fact]
    public async Task A_cancelled_job_stops_within_seconds_and_is_not_launched_again_by_the_supervisor()
    {
        await StartAgentAsync("agent-a");
        var job = JobSpec.Evaluation(Guid.NewGuid(), 0);
        _script.HoldUntilReleased(job.Name);
        await Launcher.LaunchAsync(job, CancellationToken.None);
        await WaitForAsync(() => _script.Started(job.Name) == 1, "the job started");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Launcher.CancelAsync(job.Name, CancellationToken.None);
        await WaitForAsync(() => _script.Stopped(job.Name) == 1, "the job saw its cancellation");
        var stoppedAfter = clock.Elapsed;
        var record = await WaitForRecordAsync(job.Name, r => r.EndedAt is not null);
        await Task.Delay(2000);

        Assert.True(stoppedAfter < TimeSpan.FromSeconds(5), $"the job stopped {stoppedAfter.TotalSeconds:F1} s after the cancel");
        Assert.Equal(JobRunStatus.Cancelled, record.Status);
        Assert.Equal(1, _script.Started(job.Name));
        Assert.Equal(JobState.Failed(BrokerJobLauncher.CancelledMessage), await Launcher.GetStateAsync(job.Name, CancellationToken.None));
    }

    [Fact]
    public async Task A_job_of_an_agent_that_shut_down_is_resumed_by_another_agent_without_counting_as_a_failure()
    {
        var first = await StartAgentAsync("agent-a");
        var job = JobSpec.Pretraining(Guid.NewGuid());
        _script.HoldUntilReleased(job.Name, firstRunOnly: true);
        await Launcher.LaunchAsync(job, CancellationToken.None);
        await WaitForAsync(() => _script.Started(job.Name) == 1, "the job started on the first agent");
        await StartAgentAsync("agent-b");

        await StopAsync(first);
        _hosts.Remove(first);
        var record = await WaitForStatusAsync(job.Name, JobRunStatus.Succeeded);

        Assert.Equal(2, _script.Started(job.Name));
        Assert.Equal(("agent-b", 2, 0), (record.Agent, record.Attempt, record.Failures));
    }

    [Fact]
    public async Task A_running_job_whose_agent_went_silent_counts_as_failed_and_runs_again()
    {
        await StartAgentAsync("agent-b");
        var job = JobSpec.Pretraining(Guid.NewGuid());
        // An agent that died without a word left this behind.
        await Records.SaveAsync(new JobRecord
        {
            Job = job, Status = JobRunStatus.Running, Attempt = 1, Agent = "agent-gone", Heartbeat = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5),
        });

        var record = await WaitForStatusAsync(job.Name, JobRunStatus.Succeeded);

        Assert.Equal(("agent-b", 2, 1), (record.Agent, record.Attempt, record.Failures));
        Assert.Empty(_ends.Ended);
    }

    [Fact]
    public async Task A_job_that_keeps_failing_runs_until_the_backoff_limit_and_is_reported_once()
    {
        await StartAgentAsync("agent-a");
        var job = JobSpec.Report(Guid.NewGuid());
        _script.Fail(job.Name, "the report cannot be written");

        await Launcher.LaunchAsync(job, CancellationToken.None);
        await WaitForAsync(() => _ends.Ended.Count == 1, "the job's failure was reported");
        await Task.Delay(2000);

        Assert.Equal(BackoffLimit + 1, _script.Started(job.Name));
        var end = Assert.Single(_ends.Ended);
        Assert.Equal((job.Name, job.ExperimentId, JobKinds.Report, false), (end.Name, end.ExperimentId, end.Kind, end.Succeeded));
        Assert.Contains("the report cannot be written", end.Message);
        var record = await Records.FindAsync(job.Name);
        Assert.Equal((JobRunStatus.Failed, BackoffLimit + 1, true), (record!.Status, record.Failures, record.Reported));
    }

    [Fact]
    public async Task A_restarted_orchestrator_adopts_the_running_job_instead_of_launching_it_twice()
    {
        await StartAgentAsync("agent-a");
        await StartAgentAsync("agent-b");
        var job = JobSpec.Pretraining(Guid.NewGuid());
        _script.HoldUntilReleased(job.Name);
        await Launcher.LaunchAsync(job, CancellationToken.None);
        await WaitForAsync(() => _script.Started(job.Name) == 1, "the job started");

        await _orchestrator.StopAsync();
        _hosts.Remove(_orchestrator);
        _orchestrator = await StartOrchestratorAsync();
        await Launcher.LaunchAsync(job, CancellationToken.None);
        await Task.Delay(2000);
        _script.Release(job.Name);
        await WaitForStatusAsync(job.Name, JobRunStatus.Succeeded);

        Assert.Equal(1, _script.Started(job.Name));
    }

    [Fact]
    public async Task A_job_that_ends_while_a_heartbeat_is_in_flight_stays_succeeded_and_is_not_relaunched()
    {
        // Slow job-record reads (a store far away, or busy) keep a heartbeat in flight nearly all the time, so the
        // job's end is saved while one has read the record as running and is about to write it back.
        await StartAgentAsync("agent-a", recordReadDelay: TimeSpan.FromMilliseconds(400));
        var job = JobSpec.Pretraining(Guid.NewGuid());
        _script.HoldUntilReleased(job.Name);
        await Launcher.LaunchAsync(job, CancellationToken.None);
        await WaitForAsync(() => _script.Started(job.Name) == 1, "the job started");
        await Task.Delay(1000);

        _script.Release(job.Name);
        await WaitForStatusAsync(job.Name, JobRunStatus.Succeeded);
        // Longer than the supervisor's heartbeat timeout: a record written back as running would be failed and relaunched.
        await Task.Delay(TimeSpan.FromSeconds(5));

        var record = await Records.FindAsync(job.Name);
        Assert.Equal((JobRunStatus.Succeeded, 1, 0), (record!.Status, record.Attempt, record.Failures));
        Assert.Equal(1, _script.Started(job.Name));
    }

    const int BackoffLimit = 1;

    async Task<IHost> StartOrchestratorAsync()
    {
        var builder = Builder(new()
        {
            ["JobAgents:HeartbeatTimeout"] = "00:00:03",
            ["JobAgents:ScanInterval"] = "00:00:00.500",
            ["JobAgents:BackoffLimit"] = BackoffLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Services.AddSingleton<IJobEndListener>(_ends);
        builder.Services.AddJobAgentsLauncher();
        builder.AddBus();
        return await StartAsync(builder);
    }

    async Task<IHost> StartAgentAsync(string name, TimeSpan? recordReadDelay = null)
    {
        var builder = Builder(new()
        {
            ["JobAgent:Name"] = name,
            ["JobAgent:HeartbeatInterval"] = "00:00:00.300",
            ["JobAgent:ClaimSettle"] = "00:00:00.100",
        });
        if (recordReadDelay is { } delay)
        {
            builder.Services.AddSingleton<IObjectStore>(new SlowReadStore(new FolderObjectStore(_store.Path), delay));
        }
        builder.Services.AddSingleton(_script);
        builder.Services.AddSingleton(new AgentName(name));
        builder.AddJobs<ScriptedRunner>(JobKinds.Pretraining, JobKinds.Evaluation, JobKinds.Report);
        builder.AddBus();
        var host = await StartAsync(builder);
        // The agent connects its queues once the host has started.
        await WaitForAsync(() => host.Services.GetRequiredService<JobAgent>().IsTakingRequests, $"{name} takes requests");
        return host;
    }

    /// <summary>A host on the test's broker and shared folder store, with <paramref name="settings"/>.</summary>
    HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(broker.BusConfiguration());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddFilter(level => level >= LogLevel.Warning).AddSimpleConsole();
        builder.Services.AddSingleton<IObjectStore>(new FolderObjectStore(_store.Path));
        return builder;
    }

    async Task<IHost> StartAsync(HostApplicationBuilder builder)
    {
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TestBus.Timeout);
        await host.StartAsync(timeout.Token);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Stops a host, its services given <see cref="Patience"/>: a stop that hangs fails the test instead of the run.</summary>
    static async Task StopAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await host.StopAsync(timeout.Token).WaitAsync(2 * Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"a host did not stop within {2 * Patience}; its hosted services: " +
                string.Join(", ", host.Services.GetServices<IHostedService>().Select(service => service.GetType().Name)));
        }
    }

    async Task<JobRecord> WaitForStatusAsync(string name, JobRunStatus status) => await WaitForRecordAsync(name, r => r.Status == status);

    async Task<JobRecord> WaitForRecordAsync(string name, Func<JobRecord, bool> condition)
    {
        JobRecord? record = null;
        await WaitForAsync(async () => (record = await Records.FindAsync(name)) is { } found && condition(found), $"the record of {name}");
        return record!;
    }

    static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(() => Task.FromResult(condition()), what);

    static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        if (!await TestBus.EventuallyAsync(condition, Patience))
        {
            throw new TimeoutException($"not within {Patience}: {what}");
        }
    }

    sealed record AgentName(string Name);

    /// <summary>A store whose reads deliver what they read <paramref name="delay"/> later, as a slow network would.</summary>
    sealed class SlowReadStore(IObjectStore inner, TimeSpan delay) : IObjectStore
    {
        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, cancellationToken);

        public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            var read = new MemoryStream();
            await using (var stream = await inner.GetAsync(key, cancellationToken))
            {
                await stream.CopyToAsync(read, cancellationToken);
            }
            read.Position = 0;
            await Task.Delay(delay, cancellationToken);
            return read;
        }

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);

        public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }

    /// <summary>What each job does when an agent runs it, per name, and what happened: runs, stops, concurrency per agent.</summary>
    sealed class JobScript
    {
        readonly ConcurrentDictionary<string, TaskCompletionSource> _holds = new();
        readonly ConcurrentDictionary<string, bool> _firstRunOnly = new();
        readonly ConcurrentDictionary<string, string> _failures = new();
        readonly ConcurrentDictionary<string, int> _started = new();
        readonly ConcurrentDictionary<string, int> _stopped = new();
        readonly ConcurrentDictionary<string, int> _running = new();
        readonly ConcurrentDictionary<string, int> _most = new();

        public void HoldUntilReleased(string job, bool firstRunOnly = false)
        {
            _holds[job] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _firstRunOnly[job] = firstRunOnly;
        }

        public void Release(string job) => _holds[job].TrySetResult();

        public void ReleaseAll()
        {
            foreach (var hold in _holds.Values)
            {
                hold.TrySetResult();
            }
        }

        public void Fail(string job, string reason) => _failures[job] = reason;

        public int Started(string job) => _started.GetValueOrDefault(job);

        public int Stopped(string job) => _stopped.GetValueOrDefault(job);

        public int MostAtOnce(string agent) => _most.GetValueOrDefault(agent);

        public async Task RunAsync(string agent, JobSpec job, CancellationToken cancellation)
        {
            int run = _started.AddOrUpdate(job.Name, 1, (_, n) => n + 1);
            int now = _running.AddOrUpdate(agent, 1, (_, n) => n + 1);
            _most.AddOrUpdate(agent, now, (_, most) => Math.Max(most, now));
            try
            {
                if (_failures.TryGetValue(job.Name, out var reason))
                {
                    throw new InvalidOperationException(reason);
                }
                if (_holds.TryGetValue(job.Name, out var hold) && (run == 1 || !_firstRunOnly.GetValueOrDefault(job.Name)))
                {
                    await hold.Task.WaitAsync(cancellation);
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                _stopped.AddOrUpdate(job.Name, 1, (_, n) => n + 1);
                throw;
            }
            finally
            {
                _running.AddOrUpdate(agent, 0, (_, n) => n - 1);
            }
        }
    }

    sealed class ScriptedRunner(JobScript script, AgentName agent) : IJobRunner
    {
        public Task RunAsync(JobSpec job, CancellationToken cancellationToken) => script.RunAsync(agent.Name, job, cancellationToken);
    }

    sealed class RecordingEndListener : IJobEndListener
    {
        readonly ConcurrentQueue<JobEnd> _ended = new();

        public IReadOnlyList<JobEnd> Ended => [.. _ended];

        public Task OnJobEndedAsync(JobEnd job, CancellationToken cancellationToken)
        {
            _ended.Enqueue(job);
            return Task.CompletedTask;
        }
    }
}
