namespace SemanticMIM.Platform.Jobs;

public enum JobStatus
{
    /// <summary>No job of that name was launched (or it was cleaned up).</summary>
    NotFound,

    /// <summary>
    /// Launched but waiting to be admitted by a queueing system: a Kubernetes Job with <c>spec.suspend: true</c>, which
    /// Kueue sets to false when its ClusterQueue has quota for it (and back to true when it preempts the Job). No pod of it runs.
    /// </summary>
    Queued,

    Running,

    Succeeded,

    /// <summary>The job ended with an error (or was cancelled); <see cref="JobState.Message"/> says why. It may be launched again.</summary>
    Failed,
}

/// <summary>
/// Where a launched job stands; <see cref="Message"/> carries a failure's reason, <see cref="RunningSince"/> when a running
/// job's current run began (for a Kubernetes Job its <c>status.startTime</c>, which Kubernetes resets when a suspended Job
/// resumes, so time spent queued is not in it); null where the launcher does not know.
/// </summary>
public sealed record JobState(JobStatus Status, string? Message = null, DateTimeOffset? RunningSince = null)
{
    public static JobState NotFound { get; } = new(JobStatus.NotFound);

    public static JobState Queued { get; } = new(JobStatus.Queued);

    public static JobState Running { get; } = new(JobStatus.Running);

    public static JobState Succeeded { get; } = new(JobStatus.Succeeded);

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed;

    public static JobState Failed(string message) => new(JobStatus.Failed, message);

    public static JobState RunningFrom(DateTimeOffset since) => new(JobStatus.Running, RunningSince: since);

    public override string ToString() => Message is null ? Status.ToString() : $"{Status}: {Message}";
}
