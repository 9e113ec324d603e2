namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// Starts long work (pretraining, evaluation) outside the message that asked for it, so that no message stays
/// unacknowledged for the length of a run. In process when embedded; Kubernetes Jobs in the cluster.
/// </summary>
public interface IJobLauncher
{
    /// <summary>
    /// Starts <paramref name="job"/> and returns once it is started (not finished). Idempotent by name: a job of that
    /// name that is running or has succeeded is left alone; one that failed is started again.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid; every problem is listed.</exception>
    Task LaunchAsync(JobSpec job, CancellationToken cancellationToken);

    /// <summary>The state of the job named <paramref name="name"/>; <see cref="JobState.NotFound"/> when there is none.</summary>
    Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken);
}
