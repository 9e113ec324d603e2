using MassTransit;
using Microsoft.Extensions.Logging;

namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>
/// Launches jobs on job agents over the broker, for deployments without Kubernetes: the job's record in the store
/// (<see cref="JobRecords"/>) says it is queued, and a <see cref="RunJob"/> request goes to the queue of its kind,
/// where the agents of that kind compete for it. Idempotent by name, like a Kubernetes Job: a running or succeeded job
/// is left alone (so a restarted orchestrator adopts the jobs it finds running), a queued one has its request sent
/// again (a duplicate request is dropped by the agents), a failed or cancelled one is launched anew. Cancelling marks
/// the record and tells every agent (<see cref="CancelJob"/>).
/// </summary>
public sealed partial class BrokerJobLauncher(JobRecords records, IBus bus, ILogger<BrokerJobLauncher> logger) : IJobLauncher
{
    public const string CancelledMessage = "cancelled on request";

    // Launches are rare and short: one at a time keeps a job's read-check-write of its record whole in this process.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task LaunchAsync(JobSpec job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.EnsureValid();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = await records.FindAsync(job.Name, cancellationToken).ConfigureAwait(false);
            switch (record?.Status)
            {
                case JobRunStatus.Running or JobRunStatus.Succeeded:
                    LogAlreadyLaunched(job.Name, record.Status);
                    return;
                case JobRunStatus.Queued:
                    // The request may have been lost with a launch that failed after saving the record.
                    await SendAsync(record, cancellationToken).ConfigureAwait(false);
                    return;
            }
            var queued = await records.SaveAsync(new JobRecord { Job = job, Status = JobRunStatus.Queued, Attempt = (record?.Attempt ?? 0) + 1 },
                cancellationToken).ConfigureAwait(false);
            LogLaunching(job.Name, job.Kind, job.ExperimentId, queued.Attempt);
            await SendAsync(queued, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return (await records.FindAsync(name, cancellationToken).ConfigureAwait(false))?.ToState() ?? JobState.NotFound;
    }

    public async Task CancelAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = await records.FindAsync(name, cancellationToken).ConfigureAwait(false);
            if (record is null || record.IsFinished)
            {
                return;
            }
            await records.SaveAsync(record with { Status = JobRunStatus.Cancelled, Message = CancelledMessage }, cancellationToken).ConfigureAwait(false);
            LogCancelling(name, record.Agent ?? "no agent yet");
        }
        finally
        {
            _gate.Release();
        }
        await bus.Publish(new CancelJob { Name = name }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the request of <paramref name="record"/>'s attempt to the queue of its kind.</summary>
    public static async Task SendAsync(ISendEndpointProvider endpoints, JobRecord record, CancellationToken cancellationToken)
    {
        var endpoint = await endpoints.GetSendEndpoint(JobQueues.AddressOf(record.Job.Kind)).ConfigureAwait(false);
        await endpoint.Send(new RunJob { Job = record.Job, Attempt = record.Attempt }, cancellationToken).ConfigureAwait(false);
    }

    private Task SendAsync(JobRecord record, CancellationToken cancellationToken) => SendAsync(bus, record, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued job {Name} ({Kind}, experiment {ExperimentId}), attempt {Attempt}")]
    partial void LogLaunching(string name, string kind, Guid experimentId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} is already {Status}: not launched again")]
    partial void LogAlreadyLaunched(string name, JobRunStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling job {Name} (run by {Agent})")]
    partial void LogCancelling(string name, string agent);
}
