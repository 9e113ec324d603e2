using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Platform.Coordination;

namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>
/// The agent launcher's counterpart of a Kubernetes Job's backoff and of the Job watcher, run by the orchestrator
/// while it leads: a running job whose agent went silent (no heartbeat for <see cref="JobAgentSupervisionOptions.HeartbeatTimeout"/>)
/// counts as failed; a failed job is queued again until it has failed more than
/// <see cref="JobAgentSupervisionOptions.BackoffLimit"/> times, and is then reported once to the <see cref="IJobEndListener"/>.
/// </summary>
public sealed partial class JobAgentSupervisor(JobRecords records, IBus bus, IJobEndListener listener, ILeadership leadership,
    IOptions<JobAgentSupervisionOptions> options, TimeProvider clock, ILogger<JobAgentSupervisor> logger) : BackgroundService
{
    private JobAgentSupervisionOptions Options => options.Value;

    /// <summary>One pass over every job record; returns the names of the jobs it relaunched or reported.</summary>
    public async Task<IReadOnlyList<string>> ScanAsync(CancellationToken cancellation)
    {
        var acted = new List<string>();
        var now = clock.GetUtcNow();
        await foreach (var found in records.ListAsync(cancellation))
        {
            var record = found;
            if (record.Status == JobRunStatus.Running && now - record.Heartbeat > Options.HeartbeatTimeout)
            {
                LogSilent(record.Job.Name, record.Agent ?? "?", (now - record.Heartbeat).TotalSeconds);
                record = await records.SaveAsync(record with
                {
                    Status = JobRunStatus.Failed,
                    Failures = record.Failures + 1,
                    Message = $"its agent {record.Agent} sent no heartbeat for {(now - record.Heartbeat).TotalSeconds:F0} s",
                }, cancellation);
            }
            if (record.Status != JobRunStatus.Failed || record.Reported)
            {
                continue;
            }
            if (record.Failures <= Options.BackoffLimit)
            {
                var queued = await records.SaveAsync(record with { Status = JobRunStatus.Queued, Attempt = record.Attempt + 1, Agent = null, EndedAt = null },
                    cancellation);
                LogRelaunching(record.Job.Name, record.Failures, Options.BackoffLimit, record.Message ?? "");
                await BrokerJobLauncher.SendAsync(bus, queued, cancellation);
            }
            else
            {
                LogGaveUp(record.Job.Name, record.Failures, record.Message ?? "");
                var job = record.Job;
                await listener.OnJobEndedAsync(new JobEnd(job.Name, job.ExperimentId, job.Kind, job.EvaluationIndex, Succeeded: false,
                    $"{record.Message} (failed {record.Failures} times)"), cancellation);
                await records.SaveAsync(record with { Reported = true }, cancellation);
            }
            acted.Add(record.Job.Name);
        }
        return acted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Options.ScanInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!leadership.IsLeader)
            {
                continue;
            }
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogScanFailed(error, Options.ScanInterval);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name}: its agent {Agent} has been silent for {Seconds:F0} s")]
    partial void LogSilent(string name, string agent, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name} failed ({Failures} of {Limit} retries used): {Reason}; queued again")]
    partial void LogRelaunching(string name, int failures, int limit, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Name} failed {Failures} times, the last: {Reason}; reported as failed")]
    partial void LogGaveUp(string name, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The job supervisor's scan failed; it tries again in {Interval}")]
    partial void LogScanFailed(Exception error, TimeSpan interval);
}
