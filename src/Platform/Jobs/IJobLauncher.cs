namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// Starts long work (pretraining, evaluation, reports) outside the message that asked for it, so that no message stays
/// unacknowledged for the length of a run: Kubernetes Jobs in a cluster, job agents over the broker where there is no
/// Kubernetes, in process for the embedded run. Every launcher keeps the same contract.
/// </summary>
public interface IJobLauncher
{
    /// <summary>
    /// Starts <paramref name="job"/> and returns once it is started (not finished). Idempotent by name: a job of that
    /// name that is running or has succeeded is left alone; one that failed or was cancelled is started again.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid; every problem is listed.</exception>
    Task LaunchAsync(JobSpec job, CancellationToken cancellationToken);

    /// <summary>The state of the job named <paramref name="name"/>; <see cref="JobState.NotFound"/> when there is none.</summary>
    Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the job named <paramref name="name"/> to stop and returns without waiting for it: its work is cancelled
    /// within seconds and keeps its last checkpoint. A job that does not exist or has ended is left alone.
    /// </summary>
    Task CancelAsync(string name, CancellationToken cancellationToken);
}
