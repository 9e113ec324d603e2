using MassTransit;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Orchestration;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Workers.Jobs;

/// <summary>
/// How a job's own failure reaches the orchestrator, as the host's composition decides. True (in-process jobs, which
/// nothing retries): announce <see cref="ExperimentFailed"/> at once. False (Kubernetes Job pods, job agents): only fail
/// the job, so its launcher runs it again (pretraining resumes from its last checkpoint) and reports the failure once
/// the backoff limit is reached.
/// </summary>
public sealed record JobFailurePolicy(bool AnnounceFailures);

/// <summary>
/// What the trainer and evaluator jobs run: pretraining (resuming from the newest checkpoint in the store, or ending at once
/// when it is complete already), the token targets of a part of the training shards, one evaluation, or the experiment's report, reporting progress, checkpoints and completion as events. A failure fails
/// the job and, unless something retries it (<see cref="JobFailurePolicy"/>), is announced as <see cref="ExperimentFailed"/>;
/// a job stops when it is cancelled or its experiment has ended (its record is checked every few seconds, off the
/// training thread). Events go out through a <see cref="BackgroundPublisher"/>: the training loop never waits for the
/// broker, an outage neither stalls nor fails training, and the job ends once its events are out.
/// </summary>
public sealed class ExperimentJobRunner(ExperimentRepository repository, StoreFiles files, IBus bus, SemanticMimMetrics metrics,
    JobFailurePolicy failures, ILogger<ExperimentJobRunner> logger) : IJobRunner
{
    /// <summary>Progress events per run, at most; the last step is always reported.</summary>
    private const int ProgressEvents = 50;

    private static readonly TimeSpan EndPoll = TimeSpan.FromSeconds(10);

    public async Task RunAsync(JobSpec job, CancellationToken cancellation)
    {
        string stage = job.Kind switch
        {
            JobKinds.Pretraining => Stages.Pretrain,
            JobKinds.Report => Stages.Report,
            JobKinds.Tokens => Stages.Targets,
            _ => Stages.Evaluate,
        };
        // The metrics' experiment label is the spec's name, as on every other series (and in the dashboards'
        // experiment variable); the id only names a failure that came before the spec could be read.
        string experiment = job.ExperimentId.ToString("D");
        try
        {
            var record = await repository.GetAsync(job.ExperimentId, cancellation);
            var plan = ExperimentPlan.From(Contracts.Specs.SpecReader.Read(record.SpecYaml, $"experiment {job.ExperimentId}"));
            experiment = plan.Id;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            await using var events = new BackgroundPublisher(bus, logger);
            var watch = StopWhenEndedAsync(job, stop);
            try
            {
                await RunKindAsync(job, plan, events, stop.Token);
                // Done only once its events are out; a cancelled job gives up on them.
                await events.FlushAsync(stop.Token);
            }
            finally
            {
                await stop.CancelAsync();
                await watch;
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            logger.LogInformation("Job {Job} stopped; started again it resumes from its last checkpoint", job.Name);
            throw;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            if (!failures.AnnounceFailures)
            {
                logger.LogError(error, "Job {Job} failed; its launcher decides whether it runs again", job.Name);
                throw;
            }
            logger.LogError(error, "Job {Job} failed", job.Name);
            metrics.UnitFailed(stage, experiment);
            await bus.Publish(new ExperimentFailed { ExperimentId = job.ExperimentId, Stage = stage, Reason = error.Message }, CancellationToken.None);
            throw;
        }
    }

    private Task RunKindAsync(JobSpec job, ExperimentPlan plan, BackgroundPublisher events, CancellationToken cancellation) => job.Kind switch
    {
        JobKinds.Pretraining => PretrainAsync(job.ExperimentId, plan, events, cancellation),
        JobKinds.Evaluation when job.EvaluationIndex is { } index => EvaluateAsync(job.ExperimentId, plan, index, events, cancellation),
        JobKinds.Report => ReportAsync(job.ExperimentId, plan, events, cancellation),
        JobKinds.Tokens when job.Part is { } part => TokensAsync(job.ExperimentId, plan, part, events, cancellation),
        _ => throw new ArgumentException($"job {job.Name}: unknown kind '{job.Kind}', or a missing evaluation index or part"),
    };

    /// <summary>Cancels <paramref name="stop"/> once the job's experiment has ended (cancelled, failed elsewhere); ends with it.</summary>
    private async Task StopWhenEndedAsync(JobSpec job, CancellationTokenSource stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(EndPoll, stop.Token);
                if (await repository.FindAsync(job.ExperimentId, stop.Token) is { IsFinished: true })
                {
                    logger.LogInformation("Experiment {Id} has ended; job {Job} stops", job.ExperimentId, job.Name);
                    await stop.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            // The store was unreachable: the job goes on; its launcher's cancel still reaches it.
            logger.LogWarning(error, "Job {Job} could not read its experiment's record; it stops checking whether the experiment ended", job.Name);
        }
    }

    private async Task PretrainAsync(Guid id, ExperimentPlan plan, BackgroundPublisher events, CancellationToken cancellation)
    {
        // A job launched for a pretraining that is complete already (another experiment shared it) ends at once.
        if (await PretrainStage.FindCompleteAsync(files, plan, cancellation) is { } complete)
        {
            Completed(complete);
            return;
        }
        var train = await ShardStage.ReadVerifiedAsync(files, StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), cancellation)
            ?? throw new InvalidDataException("the training shards are missing or do not verify");
        var targets = (await TargetStage.RunAsync(files, plan.Targets, plan.Dataset, train, tokenizer: null, cancellation: cancellation)).Value;
        int steps = plan.Training(train.TotalSamples).Steps;
        int every = Math.Max(1, steps / ProgressEvents);
        var lastCheckpoint = System.Diagnostics.Stopwatch.StartNew();
        void Progress(Training.TrainingProgress step)
        {
            metrics.RecordTrainingStep(plan.Id, step.Step, step.Loss, step.LearningRate, step.ImagesPerSecond);
            if (step.Step % every == 0 || step.Step == steps)
            {
                events.Enqueue(new TrainingProgressed
                {
                    ExperimentId = id, Step = step.Step, TotalSteps = steps, Loss = step.Loss,
                    LearningRate = step.LearningRate, ImagesPerSecond = step.ImagesPerSecond,
                });
            }
        }
        var outcome = await PretrainStage.RunAsync(files, plan, train, targets, Progress, cancellation,
            (step, key) =>
            {
                metrics.RecordCheckpoint(plan.Id, lastCheckpoint.Elapsed);
                events.Enqueue(new CheckpointSaved { ExperimentId = id, Step = step, Key = key });
            }, logger);
        metrics.RecordDataWait(plan.Id, Math.Clamp(outcome.Value.DataWaitShare, 0, 1));
        Completed(outcome);

        void Completed(StageResult<PretrainOutcome> outcome)
        {
            metrics.UnitCompleted(Stages.Pretrain, plan.Id);
            events.Enqueue(new PretrainingCompleted
            {
                ExperimentId = id,
                EncoderKey = outcome.Value.EncoderKey,
                Reused = outcome.Reused,
                ResumedFromStep = outcome.Value.ResumedFromStep,
                DataWaitShare = outcome.Value.DataWaitShare,
            });
        }
    }

    private async Task EvaluateAsync(Guid id, ExperimentPlan plan, int index, BackgroundPublisher events, CancellationToken cancellation)
    {
        var results = await EvaluationStage.RunAsync(files, plan, index, StoreLayout.PretrainingEncoder(plan.PretrainingId), cancellation: cancellation);
        foreach (var result in results.Value)
        {
            metrics.RecordEvaluation(plan.Id, result.Protocol, result.Encoder, result.Feature, result.Layer.ToString(System.Globalization.CultureInfo.InvariantCulture),
                result.Metric, result.Value);
        }
        metrics.UnitCompleted(Stages.Evaluate, plan.Id);
        events.Enqueue(new EvaluationCompleted { ExperimentId = id, EvaluationIndex = index, Results = results.Value, Reused = results.Reused });
    }

    /// <summary>
    /// The target units of <paramref name="part"/> of the training shards, announcing <see cref="TargetsComputed"/> for
    /// each as the target service does; a shard done before (a retried job, the VQ tokenizer's unit) is announced again.
    /// </summary>
    private async Task TokensAsync(Guid id, ExperimentPlan plan, ShardPart part, BackgroundPublisher events, CancellationToken cancellation)
    {
        using var units = await TargetUnits.OpenAsync(files, plan, metrics, cancellation);
        var (first, count) = part.Of(units.Train.Shards.Count).GetOffsetAndLength(units.Train.Shards.Count);
        for (int index = first; index < first + count; index++)
        {
            bool reused = await units.ComputeAsync(index, cancellation);
            events.Enqueue(new TargetsComputed { ExperimentId = id, Shard = units.Train.Shards[index].Name, Reused = reused });
        }
    }

    private async Task ReportAsync(Guid id, ExperimentPlan plan, BackgroundPublisher events, CancellationToken cancellation)
    {
        var keys = await ReportStage.WriteExperimentReportAsync(files, plan, cancellation);
        metrics.UnitCompleted(Stages.Report, plan.Id);
        events.Enqueue(new ReportWritten { ExperimentId = id, ResultsKey = keys.ResultsKey, ReportKey = keys.ReportKey });
    }
}
