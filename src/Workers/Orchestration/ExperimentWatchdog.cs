using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Orchestration;

/// <summary>When an unfinished experiment's record has not moved for <see cref="StageTimeout"/>, fail it (configuration <c>Orchestrator</c>).</summary>
public sealed record WatchdogOptions
{
    public const string SectionName = "Orchestrator";

    /// <summary>Longest silence of a stage; pretraining reports progress often, an evaluation only when done.</summary>
    public TimeSpan StageTimeout { get; init; } = TimeSpan.FromHours(24);

    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Ends experiments that stall: a lost message, a job that died without a word. Every scan fails the
/// unfinished experiments whose record was last updated longer ago than the stage timeout, with the reason.
/// </summary>
public sealed class ExperimentWatchdog(StoreFiles files, ExperimentRepository repository, ExperimentOrchestrator orchestrator, IBus bus,
    WatchdogOptions options, TimeProvider clock, ILogger<ExperimentWatchdog> logger) : BackgroundService
{
    /// <summary>Fails every stalled experiment once; returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> ScanAsync(CancellationToken cancellation)
    {
        var failed = new List<Guid>();
        var now = clock.GetUtcNow();
        await foreach (var item in files.Store.ListAsync("orchestrator/experiments/", cancellation))
        {
            if (!Guid.TryParse(Path.GetFileNameWithoutExtension(item.Key), out var id)
                || await repository.FindAsync(id, cancellation) is not { IsFinished: false } record
                || now - record.Updated <= options.StageTimeout)
            {
                continue;
            }
            string stage = record.Phase.ToString().ToLowerInvariant();
            await orchestrator.FailAsync(id, Stages.Timeout,
                $"no progress in {stage} for {(now - record.Updated).TotalMinutes:F0} minutes (stage timeout {options.StageTimeout})", bus, cancellation);
            failed.Add(id);
        }
        return failed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ScanInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                logger.LogWarning(error, "The experiment watchdog's scan failed; it tries again in {Interval}", options.ScanInterval);
            }
        }
    }
}
