using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Orchestration;

/// <summary>
/// Ends experiments that stall: a lost message, a job that died without a word. Every scan fails the unfinished
/// experiments whose record was last updated longer ago than <see cref="OrchestratorOptions.StageTimeout"/>, with the reason.
/// </summary>
public sealed partial class ExperimentWatchdog(ExperimentRepository repository, IServiceScopeFactory scopes, IBus bus,
    IOptions<OrchestratorOptions> options, TimeProvider clock, ILogger<ExperimentWatchdog> logger) : BackgroundService
{
    /// <summary>Fails every stalled experiment once; returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> ScanAsync(CancellationToken cancellation)
    {
        var failed = new List<Guid>();
        var now = clock.GetUtcNow();
        var timeout = options.Value.StageTimeout;
        await foreach (var id in repository.ListAsync(cancellation))
        {
            if (await repository.FindAsync(id, cancellation) is not { IsFinished: false } record || now - record.Updated <= timeout)
            {
                continue;
            }
            string stage = record.Phase.ToString().ToLowerInvariant();
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ExperimentOrchestrator>().FailAsync(id, Stages.Timeout,
                $"no progress in {stage} for {(now - record.Updated).TotalMinutes:F0} minutes (stage timeout {timeout})", bus, cancellation);
            failed.Add(id);
        }
        return failed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ScanInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogScanFailed(error, options.Value.ScanInterval);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The experiment watchdog's scan failed; it tries again in {Interval}")]
    partial void LogScanFailed(Exception error, TimeSpan interval);
}
