namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// A job of the platform that ended for good, as its launcher's supervisor saw it (the Kubernetes Job watcher, or the
/// job agents' supervisor): what was launched and how it ended.
/// </summary>
/// <param name="Name">The Job's name (<see cref="JobSpec.Name"/>).</param>
/// <param name="ExperimentId">The experiment the job works for.</param>
/// <param name="Kind">One of <see cref="JobKinds.All"/>.</param>
/// <param name="EvaluationIndex">Which evaluation, for an evaluation job.</param>
/// <param name="Succeeded">True for a <c>Complete</c> Job, false for a <c>Failed</c> one.</param>
/// <param name="Message">Why it failed (the <c>Failed</c> condition's message or reason); null when it succeeded.</param>
public sealed record JobEnd(string Name, Guid ExperimentId, string Kind, int? EvaluationIndex, bool Succeeded, string? Message)
{
    /// <summary>The <see cref="JobSpec"/> this Job was launched from (without its extra environment).</summary>
    public JobSpec ToSpec() => JobSpec.Of(Kind, ExperimentId, EvaluationIndex) with { Name = Name };
}

/// <summary>
/// Hears of every platform job that ends (the orchestrator turns a failed job into <c>ExperimentFailed</c>). Delivery is at
/// least once: the same end can be reported again after a restart of the watcher or a re-list of the Jobs, so an
/// implementation must be idempotent. A listener that throws is logged and asked again on the next re-list.
/// </summary>
public interface IJobEndListener
{
    Task OnJobEndedAsync(JobEnd job, CancellationToken cancellationToken);
}

/// <summary>The default listener: ignores every end (the watcher still logs it).</summary>
public sealed class NoOpJobEndListener : IJobEndListener
{
    public Task OnJobEndedAsync(JobEnd job, CancellationToken cancellationToken) => Task.CompletedTask;
}
