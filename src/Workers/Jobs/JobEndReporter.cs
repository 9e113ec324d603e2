using MassTransit;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Telemetry;
using SemanticMIM.Workers.Orchestration;

namespace SemanticMIM.Workers.Jobs;

/// <summary>
/// Tells the orchestrator when a Kubernetes Job ended badly. A job that fails in its own code announces that
/// itself; this covers the ones that cannot (killed for memory, image not pulled, backoff limit reached). A job
/// that succeeded has published its completion already, and a failure of a finished experiment changes nothing,
/// so hearing the same end twice is harmless.
/// </summary>
public sealed class JobEndReporter(ExperimentOrchestrator orchestrator, ExperimentPlans plans, IBus bus, SemanticMimMetrics metrics) : IJobEndListener
{
    public async Task OnJobEndedAsync(JobEnd job, CancellationToken cancellationToken)
    {
        if (job.Succeeded)
        {
            return;
        }
        string stage = job.Kind == JobKinds.Evaluation ? Stages.Evaluate : Stages.Pretrain;
        if (await orchestrator.FailAsync(job.ExperimentId, stage, $"job {job.Name} failed: {job.Message ?? "no reason given"}", bus, cancellationToken))
        {
            metrics.UnitFailed(stage, (await plans.GetAsync(job.ExperimentId, cancellationToken)).Id);
        }
    }
}
