using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Orchestration;

/// <summary>
/// When the orchestrator starts (or becomes the leader), it recovers every sweep (<see cref="SweepOrchestrator.RecoverAsync"/>):
/// what the outbox holds is published, cells whose experiment ended meanwhile are recorded, lost starts are sent again.
/// Then, every <see cref="OrchestratorOptions.OutboxSweepInterval"/>, it publishes what any sweep's outbox holds.
/// </summary>
public sealed class SweepRecovery(SweepRepository repository, IServiceScopeFactory scopes, IBus bus,
    IOptions<OrchestratorOptions> options, TimeProvider clock, ILogger<SweepRecovery> logger) : PeriodicRecovery(options, clock, logger)
{
    public override async Task RecoverAsync(CancellationToken cancellation)
    {
        await using var scope = scopes.CreateAsyncScope();
        var orchestrator = scope.ServiceProvider.GetRequiredService<SweepOrchestrator>();
        await foreach (var id in repository.ListAsync(cancellation))
        {
            await orchestrator.RecoverAsync(id, bus, cancellation);
        }
    }

    public override async Task SweepOutboxesAsync(CancellationToken cancellation)
    {
        await using var scope = scopes.CreateAsyncScope();
        var outbox = scope.ServiceProvider.GetRequiredService<SweepOutbox>();
        var locks = scope.ServiceProvider.GetRequiredService<ExperimentLocks>();
        await foreach (var id in repository.ListAsync(cancellation))
        {
            using var _ = await locks.AcquireAsync(id, cancellation);
            if (await repository.FindAsync(id, cancellation) is { Outbox.Count: > 0 } record)
            {
                await outbox.DeliverAsync(record, bus, cancellation);
            }
        }
    }
}
