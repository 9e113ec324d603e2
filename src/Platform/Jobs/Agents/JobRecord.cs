namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>Where a job run by the job agents stands.</summary>
public enum JobRunStatus
{
    /// <summary>Launched: its <see cref="RunJob"/> request waits in the queue of its kind for a free agent.</summary>
    Queued,

    /// <summary>An agent runs it and writes <see cref="JobRecord.Heartbeat"/> while it does.</summary>
    Running,

    Succeeded,

    /// <summary>It failed (or its agent went silent); the supervisor launches it again until the backoff limit.</summary>
    Failed,

    /// <summary>Cancelled on request; never launched again unless launched anew.</summary>
    Cancelled,
}

/// <summary>
/// The durable state of one job under the agent launcher (<c>jobs/&lt;name&gt;.json</c> in the object store), so that a
/// restarted orchestrator finds running jobs instead of launching them twice, and a silent agent is noticed.
/// </summary>
public sealed record JobRecord
{

    public required JobSpec Job { get; init; }

    public JobRunStatus Status { get; init; }

    /// <summary>Counts launches; a <see cref="RunJob"/> request of an older attempt is stale and ignored.</summary>
    public int Attempt { get; init; }

    /// <summary>Failed runs so far (agent silence included), counted against the backoff limit.</summary>
    public int Failures { get; init; }

    /// <summary>The agent that runs (or ran) the current attempt.</summary>
    public string? Agent { get; init; }

    /// <summary>Last sign of life of the agent running it.</summary>
    public DateTimeOffset Heartbeat { get; init; }

    /// <summary>When the run of the current attempt ended (succeeded, failed or stopped after a cancel).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Why it failed or was cancelled.</summary>
    public string? Message { get; init; }

    /// <summary>A final failure was handed to the job-end listener; it is not reported again.</summary>
    public bool Reported { get; init; }

    public DateTimeOffset Updated { get; init; }

    public bool IsFinished => Status is JobRunStatus.Succeeded or JobRunStatus.Failed or JobRunStatus.Cancelled;

    /// <summary>The launcher-neutral view of this record.</summary>
    public JobState ToState() => Status switch
    {
        JobRunStatus.Queued or JobRunStatus.Running => JobState.Running,
        JobRunStatus.Succeeded => JobState.Succeeded,
        _ => JobState.Failed(Message ?? Status.ToString().ToLowerInvariant()),
    };
}
