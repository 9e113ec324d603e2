using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Orchestration;

/// <summary>
/// A recovery service of the orchestrator: it recovers once when it starts (or becomes the leader), then delivers what
/// the outboxes hold every <see cref="OrchestratorOptions.OutboxSweepInterval"/>. A failed round is logged and tried again
/// at the next tick, so a store or broker that is briefly away stops nothing.
/// </summary>
public abstract partial class PeriodicRecovery(IOptions<OrchestratorOptions> options, TimeProvider clock, ILogger logger) : BackgroundService
{
    /// <summary>What is done once at start.</summary>
    public abstract Task RecoverAsync(CancellationToken cancellation);

    /// <summary>What is done at every tick.</summary>
    public abstract Task SweepOutboxesAsync(CancellationToken cancellation);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RecoverAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.OutboxSweepInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepOutboxesAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogSweepFailed(logger, error, GetType().Name, options.Value.OutboxSweepInterval);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: the outbox sweep failed; it tries again in {Interval}")]
    private static partial void LogSweepFailed(ILogger logger, Exception error, string service, TimeSpan interval);
}
