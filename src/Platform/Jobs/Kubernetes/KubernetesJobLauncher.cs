using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>
/// Launches each job as a Kubernetes Job built from the chart's template of its kind (<see cref="JobManifests.Build"/>)
/// in <see cref="KubernetesJobsOptions.Namespace"/>, suspended when the template says so (Kueue admits it). Idempotent
/// by name: when the Job exists already (409), it is left alone (queued, running or succeeded), unless it failed, in
/// which case it is deleted (propagation <c>Background</c>) and created again (a relaunched pretraining resumes from its
/// newest checkpoint). Cancelling deletes the Job (propagation <c>Background</c>), suspended or running: a queued Job
/// leaves Kueue's queue, a running one's pod gets SIGTERM and its job stops, keeping its last checkpoint. Every API call
/// goes through one Polly pipeline (<see cref="KubernetesApiResilience"/>): transient failures are retried with
/// backoff, other 4xx are not.
/// </summary>
public sealed partial class KubernetesJobLauncher : IJobLauncher
{
    /// <summary>How many times a launch goes around create → exists → (failed: delete) before it gives up.</summary>
    const int MaxLaunchRounds = 5;

    static readonly TimeSpan DeletionPollDelay = TimeSpan.FromMilliseconds(250);

    readonly IKubernetes _client;
    readonly KubernetesJobsOptions _options;
    readonly ResiliencePipeline _pipeline;
    readonly ILogger<KubernetesJobLauncher> _logger;

    /// <param name="client">The API client (in the cluster: <c>KubernetesClientConfiguration.InClusterConfig()</c>).</param>
    /// <param name="options">Validated here (<see cref="KubernetesJobsOptionsValidator"/>): every problem is listed in one
    /// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.</param>
    /// <param name="logger">Optional.</param>
    /// <param name="pipeline">Every API call's pipeline; by default <see cref="KubernetesApiResilience.CreatePipeline"/> of <c>options.Api</c>.</param>
    public KubernetesJobLauncher(IKubernetes client, KubernetesJobsOptions options, ILogger<KubernetesJobLauncher>? logger = null, ResiliencePipeline? pipeline = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        new KubernetesJobsOptionsValidator().EnsureValid(options);
        _client = client;
        _options = options;
        _logger = logger ?? NullLogger<KubernetesJobLauncher>.Instance;
        _pipeline = pipeline ?? KubernetesApiResilience.CreatePipeline(options.Api, _logger);
    }

    string Namespace => _options.Namespace!;

    public async Task LaunchAsync(JobSpec job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.EnsureValid();

        // Read per launch: the chart's ConfigMap is updated in place on an upgrade.
        var template = await JobManifests.LoadAsync(_options.Templates.PathOf(job.Kind)!, cancellationToken).ConfigureAwait(false);
        var manifest = JobManifests.Build(template, job, Namespace);

        for (var round = 1; round <= MaxLaunchRounds; round++)
        {
            try
            {
                await _pipeline.ExecuteAsync(
                    async token => await _client.BatchV1.CreateNamespacedJobAsync(manifest, Namespace, cancellationToken: token).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
                LogCreated(job.Name, job.Kind, job.ExperimentId, Namespace);
                return;
            }
            catch (Exception error) when (KubernetesApiErrors.IsConflict(error))
            {
                // It exists: decide below.
            }

            var existing = await ReadAsync(job.Name, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                continue; // deleted in the meantime: create it
            }

            if (existing.Metadata?.DeletionTimestamp is not null)
            {
                LogBeingDeleted(job.Name);
                await Task.Delay(DeletionPollDelay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var state = KubernetesJobStates.Of(existing);
            if (state.Status != JobStatus.Failed)
            {
                LogAlreadyLaunched(job.Name, state.Status);
                return;
            }

            LogRelaunching(job.Name, state.Message ?? "");
            try
            {
                await _pipeline.ExecuteAsync(
                    async token => await _client.BatchV1.DeleteNamespacedJobAsync(job.Name, Namespace, propagationPolicy: "Background",
                        cancellationToken: token).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (KubernetesApiErrors.IsNotFound(error))
            {
                // Someone else deleted it first.
            }
        }

        throw new InvalidOperationException(
            $"Job '{job.Name}' could not be launched in namespace '{Namespace}': it was still being replaced after {MaxLaunchRounds} rounds.");
    }

    public async Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var job = await ReadAsync(name, cancellationToken).ConfigureAwait(false);
        return job is null ? JobState.NotFound : KubernetesJobStates.Of(job);
    }

    public async Task CancelAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            await _pipeline.ExecuteAsync(
                async token => await _client.BatchV1.DeleteNamespacedJobAsync(name, Namespace, propagationPolicy: "Background",
                    cancellationToken: token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            LogCancelled(name, Namespace);
        }
        catch (Exception error) when (KubernetesApiErrors.IsNotFound(error))
        {
            // Never launched, or already gone: nothing runs.
        }
    }

    async Task<V1Job?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                async token => await _client.BatchV1.ReadNamespacedJobAsync(name, Namespace, cancellationToken: token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (KubernetesApiErrors.IsNotFound(error))
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Job {Name} ({Kind}, experiment {ExperimentId}) in namespace {Namespace}")]
    partial void LogCreated(string name, string kind, Guid experimentId, string @namespace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} exists already and is {Status}: not launched again")]
    partial void LogAlreadyLaunched(string name, JobStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name} failed before ({Reason}): deleting it to launch it again")]
    partial void LogRelaunching(string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted Job {Name} in namespace {Namespace} to cancel it")]
    partial void LogCancelled(string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {Name} is being deleted: waiting to create it again")]
    partial void LogBeingDeleted(string name);
}
