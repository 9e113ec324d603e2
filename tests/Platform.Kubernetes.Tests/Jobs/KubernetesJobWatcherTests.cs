using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using SemanticMIM.Platform.Coordination;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;

namespace SemanticMIM.Platform.Kubernetes.Tests.Jobs;

public sealed class KubernetesJobWatcherTests : IAsyncLifetime
{
    static readonly Guid Experiment = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    /// <summary>Records every end it hears of.</summary>
    sealed class RecordingListener : IJobEndListener
    {
        public ConcurrentQueue<JobEnd> Ends { get; } = new();

        public int FailuresToThrow { get; set; }

        public Task OnJobEndedAsync(JobEnd job, CancellationToken cancellationToken)
        {
            if (FailuresToThrow > 0)
            {
                FailuresToThrow--;
                throw new InvalidOperationException("the listener is down");
            }

            Ends.Enqueue(job);
            return Task.CompletedTask;
        }
    }

    FakeKubernetesApi _api = null!;
    IKubernetes _client = null!;
    readonly RecordingListener _listener = new();

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _client = _api.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Assert.Empty(_api.Errors);
        _client.Dispose();
        await _api.DisposeAsync();
    }

    KubernetesJobWatcher NewWatcher(ILeadership? leadership = null) =>
        new(_client, TestSupport.JobsOptions(), _listener, leadership: leadership);

    /// <summary>A Job as the launcher creates it (labels of <see cref="JobManifests.Labels"/>).</summary>
    V1Job PutJob(JobSpec spec) => _api.PutJob(new V1Job
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = new V1ObjectMeta
        {
            Name = spec.Name,
            NamespaceProperty = TestSupport.Namespace,
            Labels = JobManifests.Labels(spec).ToDictionary(kv => kv.Key, kv => kv.Value),
        },
        Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "trainer" }] } } },
    });

    List<RecordedRequest> Lists() => _api.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/jobs", StringComparison.Ordinal) && !r.IsWatch).ToList();

    List<RecordedRequest> Watches() => _api.Requests.Where(r => r.IsWatch).ToList();

    async Task WaitForWatchAsync(int watches = 1)
    {
        Assert.True(await TestSupport.EventuallyAsync(() => _api.ActiveWatches == 1 && Watches().Count >= watches), "no watch was opened");
    }

    async Task<JobEnd> NextEndAsync(int count)
    {
        Assert.True(await TestSupport.EventuallyAsync(() => _listener.Ends.Count >= count), $"{count} end(s) expected, {_listener.Ends.Count} reported");
        return _listener.Ends.ElementAt(count - 1);
    }

    [Fact]
    public async Task Reports_a_job_that_ends_while_it_watches()
    {
        var pretraining = JobSpec.Pretraining(Experiment);
        var evaluation = JobSpec.Evaluation(Experiment, 2);
        PutJob(pretraining);
        PutJob(evaluation);
        using var watcher = NewWatcher();
        await watcher.StartAsync(CancellationToken.None);
        await WaitForWatchAsync();

        var list = Assert.Single(Lists());
        Assert.Equal(JobLabels.Selector, list.QueryValue("labelSelector"));
        var watch = Assert.Single(Watches());
        Assert.Equal(JobLabels.Selector, watch.QueryValue("labelSelector"));
        Assert.Equal(_api.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), watch.QueryValue("resourceVersion"));
        Assert.Empty(_listener.Ends);

        _api.StartJob(TestSupport.Namespace, pretraining.Name);
        _api.FailJob(TestSupport.Namespace, pretraining.Name, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
        var failed = await NextEndAsync(1);
        Assert.Equal(new JobEnd(pretraining.Name, Experiment, JobKinds.Pretraining, null, false, "Job has reached the specified backoff limit"), failed);
        Assert.Equal(pretraining, failed.ToSpec());

        _api.CompleteJob(TestSupport.Namespace, evaluation.Name);
        Assert.Equal(new JobEnd(evaluation.Name, Experiment, JobKinds.Evaluation, 2, true, null), await NextEndAsync(2));

        // Later events of an ended Job do not report it again.
        _api.UpdateJobStatus(TestSupport.Namespace, evaluation.Name, status => status.Ready = 0);
        await Task.Delay(200);
        Assert.Equal(2, _listener.Ends.Count);
        await watcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Reports_jobs_that_ended_before_it_started_once()
    {
        var ended = JobSpec.Evaluation(Experiment, 0);
        PutJob(ended);
        _api.CompleteJob(TestSupport.Namespace, ended.Name);
        PutJob(JobSpec.Evaluation(Experiment, 1));
        using var watcher = NewWatcher();

        await watcher.StartAsync(CancellationToken.None);

        Assert.Equal(ended.Name, (await NextEndAsync(1)).Name);
        await WaitForWatchAsync();
        _api.DropWatches();
        await WaitForWatchAsync(2);
        Assert.Single(_listener.Ends);
        await watcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Lists_again_after_410_Gone_and_goes_on_reporting()
    {
        var job = JobSpec.Pretraining(Experiment);
        PutJob(job);
        using var watcher = NewWatcher();
        await watcher.StartAsync(CancellationToken.None);
        await WaitForWatchAsync();

        _api.ExpireWatches(); // the open watch gets an ERROR event with a 410 Status and ends

        Assert.True(await TestSupport.EventuallyAsync(() => Lists().Count == 2 && _api.ActiveWatches == 1), "no new list and watch after 410");
        var rewatch = Watches()[^1];
        Assert.Equal(_api.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), rewatch.QueryValue("resourceVersion"));
        _api.CompleteJob(TestSupport.Namespace, job.Name);
        Assert.True((await NextEndAsync(1)).Succeeded);
        await watcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Reconnects_from_the_last_version_after_a_dropped_connection()
    {
        var first = JobSpec.Evaluation(Experiment, 0);
        var second = JobSpec.Evaluation(Experiment, 1);
        PutJob(first);
        PutJob(second);
        using var watcher = NewWatcher();
        await watcher.StartAsync(CancellationToken.None);
        await WaitForWatchAsync();
        _api.CompleteJob(TestSupport.Namespace, first.Name);
        await NextEndAsync(1);
        var lastSeen = _api.CurrentVersion;

        _api.DropWatches();
        _api.FailNext(2, 503, "GET", "/jobs"); // the API is briefly unavailable too

        await WaitForWatchAsync(2 + 2);
        var reconnect = Watches()[^1];
        Assert.Equal(lastSeen.ToString(System.Globalization.CultureInfo.InvariantCulture), reconnect.QueryValue("resourceVersion"));
        Assert.Single(Lists()); // no re-list: the version was still valid
        _api.FailJob(TestSupport.Namespace, second.Name, "DeadlineExceeded", "Job was active longer than specified deadline");
        var failed = await NextEndAsync(2);
        Assert.Equal((second.Name, false, "Job was active longer than specified deadline"), (failed.Name, failed.Succeeded, failed.Message));
        Assert.Equal(2, _listener.Ends.Count);
        await watcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_job_that_ends_while_disconnected_is_found_by_the_list_after_410()
    {
        var job = JobSpec.Pretraining(Experiment);
        PutJob(job);
        using var watcher = NewWatcher();
        await watcher.StartAsync(CancellationToken.None);
        await WaitForWatchAsync();

        // The connection drops, the history is compacted, and the Job fails before the watcher is back:
        // its watch from the old version gets 410, it lists again and finds the failed Job there.
        _api.FailNext(1, 0, "GET", "/jobs", delay: TimeSpan.FromMilliseconds(300));
        _api.DropWatches(compact: true);
        _api.FailJob(TestSupport.Namespace, job.Name, "BackoffLimitExceeded", "Job has reached the specified backoff limit");

        var failed = await NextEndAsync(1);
        Assert.False(failed.Succeeded);
        Assert.Equal(2, Lists().Count);
        Assert.Single(_listener.Ends);
        await watcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_listener_that_fails_is_asked_again_on_the_next_event()
    {
        var job = JobSpec.Pretraining(Experiment);
        PutJob(job);
        _listener.FailuresToThrow = 1;
        using var watcher = NewWatcher();
        await watcher.StartAsync(CancellationToken.None);
        await WaitForWatchAsync();

        _api.CompleteJob(TestSupport.Namespace, job.Name);
        await Task.Delay(200);
        Assert.Empty(_listener.Ends);
        _api.UpdateJobStatus(TestSupport.Namespace, job.Name, status => status.Ready = 0);

        Assert.Equal(job.Name, (await NextEndAsync(1)).Name);
        await watcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Watches_only_while_leading()
    {
        var leadership = new SwitchedLeadership();
        var job = JobSpec.Pretraining(Experiment);
        PutJob(job);
        using var watcher = NewWatcher(leadership);
        await watcher.StartAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.Empty(_api.Requests);

        leadership.Lead();
        await WaitForWatchAsync();
        leadership.Resign();
        Assert.True(await TestSupport.EventuallyAsync(() => _api.ActiveWatches == 0), "the watch outlived the term");
        _api.CompleteJob(TestSupport.Namespace, job.Name);
        await Task.Delay(200);
        Assert.Empty(_listener.Ends);

        leadership.Lead(); // a new term lists again and reports what ended in between
        Assert.Equal(job.Name, (await NextEndAsync(1)).Name);
        Assert.Equal(2, Lists().Count);
        await watcher.StopAsync(CancellationToken.None);
    }
}
