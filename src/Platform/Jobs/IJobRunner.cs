namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// Does a job's work in this process (what a Job's container runs in the cluster). Resolved from a fresh DI scope
/// for every run. Throwing fails the job with the exception's message; the token is cancelled when the host stops.
/// </summary>
public interface IJobRunner
{
    Task RunAsync(JobSpec job, CancellationToken cancellationToken);
}
