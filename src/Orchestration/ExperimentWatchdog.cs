using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Orchestration;

/// <summary>
/// Ends experiments that stall: a lost message, a job that died without a word. Every scan fails the unfinished
/// experiments silent for longer than <see cref="OrchestratorOptions.StageTimeout"/>, with the reason. Time a job waits in
/// a queue (<see cref="JobStatus.Queued"/>: a Kubernetes Job suspended until Kueue admits it) is not silence: while a job
/// of the experiment's current stage is queued the experiment is not stalled, and once none is, its silence counts from
/// the later of its record's last update and the newest start of those jobs (a resumed Kubernetes Job's start is when it
/// left the queue).
/// </summary>
public sealed partial class ExperimentWatchdog(ExperimentRepository repository, IJobLauncher launcher, IServiceScopeFactory scopes, IBus bus,
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
            // Only a record silent for too long asks the launcher, so a scan where all is well makes no job API call.
            if (await repository.FindAsync(id, cancellation) is not { IsFinished: false } record || now - record.Updated <= timeout)
            {
                continue;
            }
            var (queued, silentSince) = await SilenceAsync(record, cancellation);
            if (queued is not null)
            {
                LogQueued(id, queued);
                continue;
            }
            if (now - silentSince <= timeout)
            {
                continue;
            }
            string stage = record.Phase.ToString().ToLowerInvariant();
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ExperimentOrchestrator>().FailAsync(id, Stages.Timeout,
                $"no progress in {stage} for {(now - silentSince).TotalMinutes:F0} minutes (stage timeout {timeout})", bus, cancellation);
            failed.Add(id);
        }
        return failed;
    }

    /// <summary>
    /// The jobs the current phase of <paramref name="record"/> waits on: its tokens jobs while targets are computed by
    /// them, its pretraining, its pending evaluations, its report; none while the shard and target services work.
    /// </summary>
    public static IEnumerable<string> JobsOfPhase(ExperimentRecord record) => record.Phase switch
    {
        ExperimentPhase.Targets => Enumerable.Range(0, record.TokensParts)
            .Select(part => JobSpec.Tokens(record.Id, new ShardPart(part, record.TokensParts)).Name),
        ExperimentPhase.Pretraining => [JobSpec.Pretraining(record.Id).Name],
        ExperimentPhase.Evaluating => record.PendingEvaluations.Select(index => JobSpec.Evaluation(record.Id, index).Name),
        ExperimentPhase.Reporting => [JobSpec.Report(record.Id).Name],
        _ => [],
    };

    /// <summary>A job of the phase that is queued, if any; otherwise since when the experiment has been silent.</summary>
    private async Task<(string? Queued, DateTimeOffset SilentSince)> SilenceAsync(ExperimentRecord record, CancellationToken cancellation)
    {
        var since = record.Updated;
        foreach (string job in JobsOfPhase(record))
        {
            var state = await launcher.GetStateAsync(job, cancellation);
            if (state.Status == JobStatus.Queued)
            {
                return (job, since);
            }
            if (state.RunningSince > since)
            {
                since = state.RunningSince.Value;
            }
        }
        return (null, since);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id} is not stalled: its job {Job} waits in the queue to be admitted")]
    partial void LogQueued(Guid id, string job);
}
