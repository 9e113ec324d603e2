using System.Globalization;
using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using SemanticMIM.Platform.Coordination;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>
/// Follows the platform's Jobs (label <c>app.kubernetes.io/part-of=semanticmim</c>) in
/// <see cref="KubernetesJobsOptions.Namespace"/> and reports each one's end (<c>Complete</c> or <c>Failed</c>) to the
/// <see cref="IJobEndListener"/>, once per Job (by uid) while it runs. It lists the Jobs (through the API pipeline),
/// reports those that have ended, then watches from the list's <c>resourceVersion</c>, keeping the newest version it
/// saw: a watch that ends or drops is reopened from there (after a jittered exponential backoff when it failed); a
/// 410 Gone (the version was compacted away) makes it list again. It only runs while this process leads
/// (<see cref="ILeadership"/>), so that one replica reports.
/// </summary>
public sealed partial class KubernetesJobWatcher : BackgroundService
{
    readonly IKubernetes _client;
    readonly KubernetesJobsOptions _options;
    readonly IJobEndListener _listener;
    readonly ILeadership _leadership;
    readonly ResiliencePipeline _pipeline;
    readonly ILogger<KubernetesJobWatcher> _logger;

    /// <summary>The uid of each Job whose end was reported, by name (a Job deleted and created again has another uid).</summary>
    readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);

    public KubernetesJobWatcher(IKubernetes client, KubernetesJobsOptions options, IJobEndListener listener,
        ILogger<KubernetesJobWatcher>? logger = null, ILeadership? leadership = null, ResiliencePipeline? pipeline = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Namespace, "options.Namespace");
        _client = client;
        _options = options;
        _listener = listener;
        _logger = logger ?? NullLogger<KubernetesJobWatcher>.Instance;
        _leadership = leadership ?? new AlwaysLeader();
        _pipeline = pipeline ?? KubernetesApiResilience.CreatePipeline(options.Api, _logger);
    }

    string Namespace => _options.Namespace!;

    KubernetesJobWatcherOptions WatcherOptions => _options.Watcher;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken term;
            try
            {
                term = await _leadership.WaitForLeadershipAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (term.IsCancellationRequested)
            {
                await Task.Yield(); // a term that ended as it began: ask again, never in a synchronous loop
                continue;
            }

            using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term);
            LogStarted(Namespace, JobLabels.Selector);
            try
            {
                await WatchAsync(leading.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                if (!stoppingToken.IsCancellationRequested)
                {
                    LogLeadershipLost();
                }
            }
        }
    }

    /// <summary>Lists, reports and watches until <paramref name="cancellationToken"/> is cancelled.</summary>
    async Task WatchAsync(CancellationToken cancellationToken)
    {
        // The newest version seen (null: list first); events move it on, so a dropped watch resumes where it stopped.
        var resourceVersion = new StrongBox<string?>(null);
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (resourceVersion.Value is null)
                {
                    var list = await _pipeline.ExecuteAsync(
                        async token => await _client.BatchV1.ListNamespacedJobAsync(Namespace, labelSelector: JobLabels.Selector,
                            cancellationToken: token).ConfigureAwait(false),
                        cancellationToken).ConfigureAwait(false);
                    await ReconcileAsync(list.Items ?? [], cancellationToken).ConfigureAwait(false);
                    resourceVersion.Value = list.Metadata?.ResourceVersion ?? "";
                    LogListed(list.Items?.Count ?? 0, resourceVersion.Value);
                }

                var gone = await WatchOnceAsync(resourceVersion, cancellationToken).ConfigureAwait(false);
                failures = 0;
                if (gone)
                {
                    LogGone(resourceVersion.Value ?? "");
                    resourceVersion.Value = null;
                }
                else
                {
                    LogWatchEnded(resourceVersion.Value ?? "");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception error) when (KubernetesApiErrors.IsGone(error))
            {
                LogGone(resourceVersion.Value ?? "");
                resourceVersion.Value = null;
            }
            catch (Exception error)
            {
                failures++;
                var delay = Backoff(failures);
                LogWatchFailed(error, KubernetesApiErrors.Describe(error), delay, failures);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One watch from <paramref name="resourceVersion"/> until the server ends it, moving it on to each event's version;
    /// returns whether it ended with 410 Gone. A transport failure or an error event other than 410 is thrown.
    /// </summary>
    async Task<bool> WatchOnceAsync(StrongBox<string?> resourceVersion, CancellationToken cancellationToken)
    {
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var gone = false;
        Exception? streamError = null;

        void OnError(Exception error)
        {
            if (KubernetesApiErrors.IsGone(error))
            {
                gone = true;
                watch.Cancel(); // the server closes the stream after a 410; do not wait for it
            }
            else
            {
                streamError ??= error;
                LogStreamError(KubernetesApiErrors.Describe(error));
            }
        }

        try
        {
            var events = _client.BatchV1.WatchListNamespacedJobAsync(Namespace, allowWatchBookmarks: true, labelSelector: JobLabels.Selector,
                resourceVersion: resourceVersion.Value, timeoutSeconds: WatcherOptions.WatchTimeoutSeconds, onError: OnError,
                cancellationToken: watch.Token);
            await foreach (var (type, job) in events.ConfigureAwait(false))
            {
                if (job?.Metadata?.ResourceVersion is { Length: > 0 } version)
                {
                    resourceVersion.Value = version;
                }

                switch (type)
                {
                    case WatchEventType.Added or WatchEventType.Modified when job is not null:
                        await ObserveAsync(job, cancellationToken).ConfigureAwait(false);
                        break;
                    case WatchEventType.Deleted when job is not null:
                        Forget(job);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (gone && !cancellationToken.IsCancellationRequested)
        {
        }

        if (!gone && streamError is not null)
        {
            throw new IOException($"the watch of Jobs reported an error: {KubernetesApiErrors.Describe(streamError)}", streamError);
        }

        return gone;
    }

    /// <summary>After a list: reports the Jobs that ended and were not reported yet, forgets those that are gone.</summary>
    async Task ReconcileAsync(IList<V1Job> jobs, CancellationToken cancellationToken)
    {
        foreach (var job in jobs)
        {
            await ObserveAsync(job, cancellationToken).ConfigureAwait(false);
        }

        var present = jobs.Select(j => j.Metadata?.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var name in _reported.Keys.Where(name => !present.Contains(name)).ToList())
        {
            _reported.Remove(name);
        }
    }

    async Task ObserveAsync(V1Job job, CancellationToken cancellationToken)
    {
        if (Describe(job) is not { } end)
        {
            return;
        }

        var uid = job.Metadata.Uid ?? "";
        if (_reported.TryGetValue(end.Name, out var reportedUid) && reportedUid == uid)
        {
            return;
        }

        if (end.Succeeded)
        {
            LogSucceeded(end.Name, end.Kind, end.ExperimentId);
        }
        else
        {
            LogFailed(end.Name, end.Kind, end.ExperimentId, end.Message ?? "");
        }

        try
        {
            await _listener.OnJobEndedAsync(end, cancellationToken).ConfigureAwait(false);
            _reported[end.Name] = uid;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception error)
        {
            LogListenerFailed(error, end.Name);
        }
    }

    void Forget(V1Job job)
    {
        if (job.Metadata?.Name is { } name && _reported.TryGetValue(name, out var uid) && uid == (job.Metadata.Uid ?? ""))
        {
            _reported.Remove(name);
        }
    }

    /// <summary>The end of <paramref name="job"/>, or null while it runs or when it is not a platform job.</summary>
    JobEnd? Describe(V1Job job)
    {
        var labels = job.Metadata?.Labels;
        if (job.Metadata?.Name is not { } name || labels is null
            || !labels.TryGetValue(JobLabels.Kind, out var kind) || !JobKinds.All.Contains(kind, StringComparer.Ordinal))
        {
            return null;
        }

        var state = KubernetesJobStates.Of(job);
        if (!state.IsFinished)
        {
            return null;
        }

        if (!labels.TryGetValue(JobLabels.Experiment, out var experimentLabel) || !Guid.TryParse(experimentLabel, out var experimentId))
        {
            LogUnlabelled(name, JobLabels.Experiment);
            return null;
        }

        int? index = labels.TryGetValue(JobLabels.EvaluationIndex, out var indexLabel)
                     && int.TryParse(indexLabel, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
        return new JobEnd(name, experimentId, kind, index, state.Status == JobStatus.Succeeded, state.Message);
    }

    TimeSpan Backoff(int failures)
    {
        var exponential = WatcherOptions.MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(exponential, WatcherOptions.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching Jobs in namespace {Namespace} ({Selector})")]
    partial void LogStarted(string @namespace, string selector);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped watching Jobs: this replica no longer leads")]
    partial void LogLeadershipLost();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listed {Count} Job(s) at resourceVersion {ResourceVersion}")]
    partial void LogListed(int count, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The watch of Jobs ended at resourceVersion {ResourceVersion}; reopening it")]
    partial void LogWatchEnded(string resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "resourceVersion {ResourceVersion} is gone (410): listing the Jobs again")]
    partial void LogGone(string resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching Jobs failed ({Error}); reconnecting in {Delay} (failure {Failures} in a row)")]
    partial void LogWatchFailed(Exception exception, string error, TimeSpan delay, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The watch of Jobs reported an error: {Error}")]
    partial void LogStreamError(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} ({Kind}, experiment {ExperimentId}) succeeded")]
    partial void LogSucceeded(string name, string kind, Guid experimentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name} ({Kind}, experiment {ExperimentId}) failed: {Reason}")]
    partial void LogFailed(string name, string kind, Guid experimentId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The listener of job ends failed on Job {Name}; it is told again on the next list")]
    partial void LogListenerFailed(Exception exception, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Name} has no valid label {Label}: its end is not reported")]
    partial void LogUnlabelled(string name, string label);
}
