using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Orchestration;

/// <summary>
/// Tells the orchestrator when a job ended badly for good (a Kubernetes Job past its backoff limit, a job on the
/// agents that failed more often than its backoff limit): its experiment fails with the job's reason. A job that
/// succeeded has published its completion already, and a failure of a finished experiment changes nothing, so
/// hearing the same end twice is harmless.
/// </summary>
public sealed class JobEndReporter(IServiceScopeFactory scopes, IBus bus, SemanticMimMetrics metrics) : IJobEndListener
{
    public async Task OnJobEndedAsync(JobEnd job, CancellationToken cancellationToken)
    {
        if (job.Succeeded)
        {
            return;
        }
        string stage = job.Kind switch
        {
            JobKinds.Evaluation => Stages.Evaluate,
            JobKinds.Report => Stages.Report,
            JobKinds.Tokens => Stages.Targets,
            _ => Stages.Pretrain,
        };
        await using var scope = scopes.CreateAsyncScope();
        var orchestrator = scope.ServiceProvider.GetRequiredService<ExperimentOrchestrator>();
        if (await orchestrator.FailAsync(job.ExperimentId, stage, $"job {job.Name} failed: {job.Message ?? "no reason given"}", bus, cancellationToken))
        {
            metrics.UnitFailed(stage, await orchestrator.MetricLabelAsync(job.ExperimentId, cancellationToken));
        }
    }
}
