using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;

namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>
/// A long-running job agent (a trainer or evaluator host outside Kubernetes). It takes <see cref="RunJob"/> requests
/// from the queues of its kinds, competing with the other agents, and runs each with the registered
/// <see cref="IJobRunner"/>, up to <see cref="JobAgentOptions.Slots"/> at once: while every slot is busy its queues are
/// closed, so the requests wait in the broker for another agent. A request is acknowledged once the job is claimed
/// (the job's record says Running on this agent, read back after <see cref="JobAgentOptions.ClaimSettle"/>, so two
/// agents never both run it), never held for the length of a run. While a job runs, its record gets a heartbeat; a
/// job cancelled (<see cref="CancelJob"/>, or its record) or claimed by another agent is stopped. A job stopped because
/// the agent shuts down is recorded as interrupted, without counting as a failure, and the supervisor queues it again:
/// the next agent resumes it from its last checkpoint.
/// </summary>
public sealed partial class JobAgent : BackgroundService
{
    // How long a request delivered while every slot is busy waits for one before it goes back to the end of its queue.
    private static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(5);

    private readonly IBus _bus;
    private readonly IServiceScopeFactory _scopes;
    private readonly JobRecords _records;
    private readonly JobAgentOptions _options;
    private readonly JobHostKinds _kinds;
    private readonly TimeProvider _clock;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ILogger<JobAgent> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _endpointGate = new(1, 1);
    private readonly ConcurrentDictionary<string, AgentRun> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private List<HostReceiveEndpointHandle> _jobEndpoints = [];
    private HostReceiveEndpointHandle? _cancelEndpoint;
    private bool _taking;

    public JobAgent(IBus bus, IServiceScopeFactory scopes, JobRecords records, IOptions<JobAgentOptions> options, JobHostKinds kinds,
        TimeProvider clock, ILogger<JobAgent> logger, IHostApplicationLifetime? lifetime = null)
    {
        _bus = bus;
        _scopes = scopes;
        _records = records;
        _options = options.Value;
        _kinds = kinds;
        _clock = clock;
        _logger = logger;
        _lifetime = lifetime;
        _slots = new SemaphoreSlim(_options.Slots, _options.Slots);
        Name = _options.Name.Length > 0 ? _options.Name : $"{Environment.MachineName}-{Environment.ProcessId}";
    }

    /// <summary>This agent's name in job records.</summary>
    public string Name { get; }

    /// <summary>Whether the job queues are connected (there is a free slot, and the agent has started).</summary>
    public bool IsTakingRequests => Volatile.Read(ref _taking);

    /// <summary>The jobs running on this agent now.</summary>
    public IReadOnlyCollection<string> Running => [.. _runs.Keys];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await HostStarted.WaitAsync(_lifetime, stoppingToken);
        _cancelEndpoint = _bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance,
            endpoint => endpoint.Handler<CancelJob>(context => OnCancelAsync(context.Message)));
        await _cancelEndpoint.Ready;
        await OpenAsync(stoppingToken);
        LogStarted(Name, string.Join(", ", _kinds.Kinds.Select(JobQueues.For)), _options.Slots);
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var run in _runs.Values)
            {
                await HeartbeatAsync(run, stoppingToken);
            }
        }
    }

    /// <summary>Closes the queues, stops every running job (each is recorded as interrupted) and waits for them.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _shutdown.CancelAsync();
        await base.StopAsync(cancellationToken);
        await CloseAsync(CancellationToken.None);
        if (_cancelEndpoint is not null)
        {
            await _cancelEndpoint.StopAsync(CancellationToken.None);
        }
        var running = _runs.Values.Select(run => run.Completion).ToArray();
        if (running.Length > 0)
        {
            LogStopping(running.Length);
            await Task.WhenAll(running).WaitAsync(cancellationToken);
        }
    }

    public override void Dispose()
    {
        _shutdown.Dispose();
        base.Dispose();
    }

    /// <summary>Takes one request: claims the job and starts it on a free slot, or hands the request back.</summary>
    private async Task OfferAsync(ConsumeContext<RunJob> context)
    {
        var request = context.Message;
        // The queues close while every slot is busy; a request delivered meanwhile waits here, and goes back to the
        // broker when the endpoint stops (the cancelled consume is redelivered) or after the wait.
        if (!await _slots.WaitAsync(BusyWait, context.CancellationToken))
        {
            var queue = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
            await queue.Send(request, context.CancellationToken);
            return;
        }
        bool started = false;
        try
        {
            started = await ClaimAndStartAsync(request, context.CancellationToken);
        }
        finally
        {
            if (!started)
            {
                _slots.Release();
            }
        }
        if (started && _slots.CurrentCount == 0)
        {
            // Not awaited: stopping an endpoint waits for its consumes, this one included.
            _ = CloseAsync(CancellationToken.None);
        }
    }

    private async Task<bool> ClaimAndStartAsync(RunJob request, CancellationToken cancellation)
    {
        string name = request.Job.Name;
        var record = await _records.FindAsync(name, cancellation);
        if (record is null || record.Status != JobRunStatus.Queued || record.Attempt != request.Attempt)
        {
            LogStale(name, request.Attempt, record?.Status, record?.Attempt);
            return false;
        }
        await _records.SaveAsync(record with { Status = JobRunStatus.Running, Agent = Name, Heartbeat = _clock.GetUtcNow(), EndedAt = null, Message = null },
            cancellation);
        await Task.Delay(_options.ClaimSettle, _clock, cancellation);
        var settled = await _records.FindAsync(name, cancellation);
        if (settled is not { Status: JobRunStatus.Running } || settled.Agent != Name || settled.Attempt != request.Attempt)
        {
            LogClaimLost(name, settled?.Agent ?? "nobody");
            return false;
        }
        var run = new AgentRun(settled, _shutdown.Token);
        _runs[name] = run;
        LogRunning(name, request.Attempt, settled.Failures);
        run.Completion = Task.Run(() => ExecuteRunAsync(run), CancellationToken.None);
        return true;
    }

    private async Task ExecuteRunAsync(AgentRun run)
    {
        var job = run.Record.Job;
        JobRecord? final;
        try
        {
            await using (var scope = _scopes.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IJobRunner>().RunAsync(job, run.Token);
            }
            final = run.Record with { Status = JobRunStatus.Succeeded };
            LogSucceeded(job.Name);
        }
        catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
        {
            final = run.Stop switch
            {
                StopReason.Cancelled => run.Record with { Status = JobRunStatus.Cancelled, Message = BrokerJobLauncher.CancelledMessage },
                StopReason.ClaimLost => null,
                _ => run.Record with { Status = JobRunStatus.Failed, Message = $"interrupted: its agent {Name} shut down" },
            };
            LogStopped(job.Name, run.Stop.ToString());
        }
        catch (Exception error)
        {
            final = run.Record with { Status = JobRunStatus.Failed, Failures = run.Record.Failures + 1, Message = error.Message };
            LogFailed(error, job.Name, error.Message);
        }
        // A heartbeat that read the record as running before this save must not write it back after it: the run
        // would stay "running" with no heartbeat, and the supervisor would fail and relaunch a finished job.
        await run.RecordLock.WaitAsync(CancellationToken.None);
        try
        {
            run.Ended = true;
            if (final is not null && await OwnsAsync(run, CancellationToken.None))
            {
                await _records.SaveAsync(final with { EndedAt = _clock.GetUtcNow() }, CancellationToken.None);
            }
        }
        catch (Exception error)
        {
            // The supervisor sees the heartbeat stop and treats the run as failed.
            LogRecordFailed(error, job.Name);
        }
        finally
        {
            run.RecordLock.Release();
            _runs.TryRemove(job.Name, out _);
            run.Dispose();
            _slots.Release();
            if (!_shutdown.IsCancellationRequested)
            {
                await OpenAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>Refreshes a running job's heartbeat, or stops it when it was cancelled or claimed by another agent.</summary>
    private async Task HeartbeatAsync(AgentRun run, CancellationToken cancellation)
    {
        await run.RecordLock.WaitAsync(cancellation);
        try
        {
            if (run.Ended)
            {
                return;
            }
            var record = await _records.FindAsync(run.Record.Job.Name, cancellation);
            if (record is null || record.Agent != Name || record.Attempt != run.Record.Attempt)
            {
                LogClaimLost(run.Record.Job.Name, record?.Agent ?? "nobody");
                run.RequestStop(StopReason.ClaimLost);
            }
            else if (record.Status == JobRunStatus.Cancelled)
            {
                run.RequestStop(StopReason.Cancelled);
            }
            else if (record.Status == JobRunStatus.Running)
            {
                await _records.SaveAsync(record with { Heartbeat = _clock.GetUtcNow() }, cancellation);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogHeartbeatFailed(error, run.Record.Job.Name);
        }
        finally
        {
            run.RecordLock.Release();
        }
    }

    private async Task<bool> OwnsAsync(AgentRun run, CancellationToken cancellation) =>
        await _records.FindAsync(run.Record.Job.Name, cancellation) is { } record && record.Agent == Name && record.Attempt == run.Record.Attempt;

    private Task OnCancelAsync(CancelJob cancel)
    {
        if (_runs.TryGetValue(cancel.Name, out var run))
        {
            LogCancelling(cancel.Name);
            run.RequestStop(StopReason.Cancelled);
        }
        return Task.CompletedTask;
    }

    /// <summary>Connects the job queues of this agent's kinds, unless they are open or every slot is busy.</summary>
    private async Task OpenAsync(CancellationToken cancellation)
    {
        await _endpointGate.WaitAsync(cancellation);
        try
        {
            if (_jobEndpoints.Count > 0 || _slots.CurrentCount == 0 || _shutdown.IsCancellationRequested)
            {
                return;
            }
            foreach (string kind in _kinds.Kinds)
            {
                var handle = _bus.ConnectReceiveEndpoint(JobQueues.For(kind), endpoint =>
                {
                    // Requests are sent to the queue, never published: no exchange bindings for RunJob.
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.PrefetchCount = 1;
                    endpoint.ConcurrentMessageLimit = 1;
                    endpoint.Handler<RunJob>(OfferAsync);
                });
                _jobEndpoints.Add(handle);
            }
            await Task.WhenAll(_jobEndpoints.Select(handle => handle.Ready));
            Volatile.Write(ref _taking, true);
        }
        finally
        {
            _endpointGate.Release();
        }
    }

    private async Task CloseAsync(CancellationToken cancellation)
    {
        await _endpointGate.WaitAsync(cancellation);
        try
        {
            var open = _jobEndpoints;
            _jobEndpoints = [];
            Volatile.Write(ref _taking, false);
            await Task.WhenAll(open.Select(handle => handle.StopAsync(cancellation)));
        }
        finally
        {
            _endpointGate.Release();
        }
        // A slot freed while the queues were closing: open them again.
        if (_slots.CurrentCount > 0 && !_shutdown.IsCancellationRequested)
        {
            await OpenAsync(cancellation);
        }
    }

    private enum StopReason
    {
        Shutdown,
        Cancelled,
        ClaimLost,
    }

    private sealed class AgentRun(JobRecord record, CancellationToken shutdown) : IDisposable
    {
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);

        public JobRecord Record { get; } = record;

        public Task Completion { get; set; } = Task.CompletedTask;

        public StopReason Stop { get; private set; } = StopReason.Shutdown;

        public CancellationToken Token => _stop.Token;

        /// <summary>Held while the run's record is read and written, by a heartbeat or by the run's end.</summary>
        public SemaphoreSlim RecordLock { get; } = new(1, 1);

        /// <summary>The run's end is recorded (or being recorded): heartbeats stop writing its record.</summary>
        public bool Ended { get; set; }

        public void RequestStop(StopReason reason)
        {
            Stop = reason;
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended in the meantime.
            }
        }

        public void Dispose() => _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job agent {Name} takes requests from {Queues} ({Slots} slot(s))")]
    partial void LogStarted(string name, string queues, int slots);

    [LoggerMessage(Level = LogLevel.Information, Message = "Running job {Name}, attempt {Attempt} ({Failures} failure(s) before)")]
    partial void LogRunning(string name, int attempt, int failures);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request for job {Name} attempt {Attempt} is stale (record: {Status}, attempt {RecordAttempt}): dropped")]
    partial void LogStale(string name, int attempt, JobRunStatus? status, int? recordAttempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name} is claimed by {Agent}: not run here")]
    partial void LogClaimLost(string name, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} succeeded")]
    partial void LogSucceeded(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} stopped ({Reason})")]
    partial void LogStopped(string name, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Name} failed: {Reason}")]
    partial void LogFailed(Exception error, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling job {Name}")]
    partial void LogCancelling(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping {Count} running job(s)")]
    partial void LogStopping(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The heartbeat of job {Name} could not be written")]
    partial void LogHeartbeatFailed(Exception error, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "The final record of job {Name} could not be written")]
    partial void LogRecordFailed(Exception error, string name);
}
