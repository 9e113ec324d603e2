using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Orchestration;

/// <summary>
/// When the orchestrator starts (or becomes the leader), it recovers every sweep (<see cref="SweepOrchestrator.RecoverAsync"/>):
/// what the outbox holds is published, cells whose experiment ended meanwhile are recorded, lost starts are sent again.
/// Then, every <see cref="OrchestratorOptions.OutboxSweepInterval"/>, it publishes what any sweep's outbox holds.
/// </summary>
public sealed partial class SweepRecovery(SweepRepository repository, IServiceScopeFactory scopes, IBus bus,
    IOptions<OrchestratorOptions> options, TimeProvider clock, ILogger<SweepRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.OutboxSweepInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await DeliverOutboxesAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogDeliveryFailed(error, options.Value.OutboxSweepInterval);
            }
        }
    }

    public async Task RecoverAsync(CancellationToken cancellation)
    {
        await using var scope = scopes.CreateAsyncScope();
        var orchestrator = scope.ServiceProvider.GetRequiredService<SweepOrchestrator>();
        await foreach (var id in repository.ListAsync(cancellation))
        {
            await orchestrator.RecoverAsync(id, bus, cancellation);
        }
    }

    private async Task DeliverOutboxesAsync(CancellationToken cancellation)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering the sweeps' outboxes failed; it tries again in {Interval}")]
    partial void LogDeliveryFailed(Exception error, TimeSpan interval);
}
