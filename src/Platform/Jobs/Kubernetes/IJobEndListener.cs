namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>
/// A Job of the platform that ended, as <see cref="KubernetesJobWatcher"/> saw it: what was launched (from the Job's
/// labels, see <see cref="JobLabels"/>) and how it ended.
/// </summary>
/// <param name="Name">The Job's name (<see cref="JobSpec.Name"/>).</param>
/// <param name="ExperimentId">From the label <c>semanticmim.io/experiment</c>.</param>
/// <param name="Kind"><see cref="JobKinds.Pretraining"/> or <see cref="JobKinds.Evaluation"/>.</param>
/// <param name="EvaluationIndex">Which evaluation, for an evaluation job.</param>
/// <param name="Succeeded">True for a <c>Complete</c> Job, false for a <c>Failed</c> one.</param>
/// <param name="Message">Why it failed (the <c>Failed</c> condition's message or reason); null when it succeeded.</param>
public sealed record JobEnd(string Name, Guid ExperimentId, string Kind, int? EvaluationIndex, bool Succeeded, string? Message)
{
    /// <summary>The <see cref="JobSpec"/> this Job was launched from (without its extra environment).</summary>
    public JobSpec ToSpec() => Kind == JobKinds.Evaluation
        ? JobSpec.Evaluation(ExperimentId, EvaluationIndex ?? 0) with { Name = Name }
        : JobSpec.Pretraining(ExperimentId) with { Name = Name };
}

/// <summary>
/// Hears of every platform Job that ends (the Workers turn a failed job into <c>ExperimentFailed</c>). Delivery is at
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
