using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// Runs jobs on background tasks of this process with the registered <see cref="IJobRunner"/> (embedded mode).
/// Idempotent by name like a Kubernetes Job: a running or succeeded job is not started twice, a failed or cancelled
/// one can be launched again. When the host stops, running jobs are cancelled and end as failed ("cancelled"), so
/// that they are relaunched after a restart. Used by the embedded run only: a service's jobs must outlive it. Register it with <see cref="JobsServiceCollectionExtensions.AddInProcessJobLauncher"/>.
/// </summary>
public sealed partial class InProcessJobLauncher : IJobLauncher, IHostedService, IDisposable
{
    public const string CancelledMessage = "cancelled: the host is shutting down";

    public const string CancelRequestedMessage = "cancelled on request";

    readonly IServiceScopeFactory _scopes;
    readonly ILogger<InProcessJobLauncher> _logger;
    readonly CancellationTokenSource _stopping = new();
    readonly Lock _lock = new();
    readonly Dictionary<string, Run> _runs = new(StringComparer.Ordinal);
    bool _stopRequested;

    public InProcessJobLauncher(IServiceScopeFactory scopes, ILogger<InProcessJobLauncher> logger)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(logger);
        _scopes = scopes;
        _logger = logger;
    }

    public Task LaunchAsync(JobSpec job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.EnsureValid();
        cancellationToken.ThrowIfCancellationRequested();

        lock (_lock)
        {
            if (_stopRequested)
            {
                throw new InvalidOperationException($"The host is shutting down: job '{job.Name}' was not launched.");
            }

            if (_runs.TryGetValue(job.Name, out var existing) && existing.State.Status is JobStatus.Running or JobStatus.Succeeded)
            {
                LogAlreadyLaunched(job.Name, existing.State.Status);
                return Task.CompletedTask;
            }

            var run = new Run(job, _stopping.Token);
            _runs[job.Name] = run;
            LogLaunching(job.Name, job.Kind, job.ExperimentId);
            run.Completion = Task.Run(() => ExecuteAsync(run), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            return Task.FromResult(_runs.TryGetValue(name, out var run) ? run.State : JobState.NotFound);
        }
    }

    public Task CancelAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        Run? run;
        lock (_lock)
        {
            _runs.TryGetValue(name, out run);
        }

        if (run is { State.Status: JobStatus.Running })
        {
            LogCancelRequested(name);
            // Outside the lock: the runner's cancellation callbacks run synchronously.
            run.Cancel();
        }

        return Task.CompletedTask;
    }

    /// <summary>Waits until the job named <paramref name="name"/> has finished and returns its final state (<see cref="JobState.NotFound"/> if there is none).</summary>
    public async Task<JobState> WaitForCompletionAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        Run? run;
        lock (_lock)
        {
            _runs.TryGetValue(name, out run);
        }

        if (run is null)
        {
            return JobState.NotFound;
        }

        await run.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            return run.State;
        }
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Cancels every running job and waits for them to end (as long as the host's shutdown allows).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_lock)
        {
            _stopRequested = true;
            running = _runs.Values.Where(r => r.State.Status == JobStatus.Running).Select(r => r.Completion).ToArray();
        }

        // Outside the lock: cancellation callbacks run synchronously and may finish a job, which takes the lock.
        await _stopping.CancelAsync().ConfigureAwait(false);

        if (running.Length == 0)
        {
            return;
        }

        LogStopping(running.Length);
        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopTimedOut(running.Count(t => !t.IsCompleted));
        }
    }

    /// <summary>Cancels running jobs without waiting for them (<see cref="StopAsync"/>, which the host calls, waits).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopRequested = true;
        }

        // Not disposed: a runner that is still unwinding may yet register on its token.
        _stopping.Cancel();
    }

    async Task ExecuteAsync(Run run)
    {
        var job = run.Spec;
        JobState final;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var runner = scope.ServiceProvider.GetRequiredService<IJobRunner>();
            await runner.RunAsync(job, run.Token).ConfigureAwait(false);
            final = JobState.Succeeded;
            LogSucceeded(job.Name);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            final = JobState.Failed(CancelledMessage);
            LogCancelled(job.Name);
        }
        catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
        {
            final = JobState.Failed(CancelRequestedMessage);
            LogCancelled(job.Name);
        }
        catch (Exception ex)
        {
            final = JobState.Failed(ex.Message);
            LogFailed(ex, job.Name, ex.Message);
        }

        lock (_lock)
        {
            run.State = final;
        }

        run.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Launching job {Name} ({Kind}, experiment {ExperimentId})")]
    partial void LogLaunching(string name, string kind, Guid experimentId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {Name} is already {Status}: not launched again")]
    partial void LogAlreadyLaunched(string name, JobStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} succeeded")]
    partial void LogSucceeded(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling job {Name} on request")]
    partial void LogCancelRequested(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name} was cancelled")]
    partial void LogCancelled(string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Name} failed: {Reason}")]
    partial void LogFailed(Exception exception, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling {Count} running job(s)")]
    partial void LogStopping(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} job(s) did not end before the host's shutdown timeout")]
    partial void LogStopTimedOut(int count);

    sealed class Run(JobSpec spec, CancellationToken stopping) : IDisposable
    {
        readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);

        public JobSpec Spec { get; } = spec;

        public JobState State { get; set; } = JobState.Running;

        public Task Completion { get; set; } = Task.CompletedTask;

        /// <summary>Cancelled when the host stops or the job is cancelled on request.</summary>
        public CancellationToken Token => _cancel.Token;

        public void Cancel()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run ended in the meantime.
            }
        }

        public void Dispose() => _cancel.Dispose();
    }
}
