using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;

namespace SemanticMIM.Platform.Kubernetes.Tests.Jobs;

public sealed class KubernetesJobLauncherTests : IAsyncLifetime
{
    static readonly Guid Experiment = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    FakeKubernetesApi _api = null!;
    IKubernetes _client = null!;
    KubernetesJobLauncher _launcher = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _client = _api.CreateClient();
        _launcher = new KubernetesJobLauncher(_client, TestSupport.JobsOptions());
    }

    public async Task DisposeAsync()
    {
        Assert.Empty(_api.Errors);
        _client.Dispose();
        await _api.DisposeAsync();
    }

    /// <summary>The template as the chart renders it, with only what the launcher must change: name, namespace, labels, env.</summary>
    static JsonNode Expected(string kind, JobSpec job, IEnumerable<(string Name, string Value)> environment, string? template = null)
    {
        var expected = JsonNode.Parse(KubernetesJson.Serialize(KubernetesYaml.Deserialize<V1Job>(File.ReadAllText(TestSupport.TemplatePath(template ?? kind)))))!;
        expected["metadata"]!["name"] = job.Name;
        expected["metadata"]!["namespace"] = TestSupport.Namespace;
        foreach (var labels in new[] { expected["metadata"]!["labels"]!, expected["spec"]!["template"]!["metadata"]!["labels"]! })
        {
            labels["app.kubernetes.io/part-of"] = "semanticmim";
            labels["semanticmim.io/experiment"] = job.ExperimentId.ToString("D");
            labels["semanticmim.io/kind"] = kind;
            if (job.EvaluationIndex is { } index)
            {
                labels["semanticmim.io/evaluation-index"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (job.Part is { } part)
            {
                labels["semanticmim.io/part"] = $"{part.Index}-of-{part.Count}";
            }
        }

        var env = expected["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        foreach (var (name, value) in environment)
        {
            env.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }

        return expected;
    }

    RecordedRequest SingleCreate() => Assert.Single(_api.Requests, r => r.Method == "POST");

    [Fact]
    public async Task Pretraining_job_is_the_chart_template_with_name_labels_and_environment()
    {
        var job = JobSpec.Pretraining(Experiment, new Dictionary<string, string> { ["Training__Resume"] = "true" });

        await _launcher.LaunchAsync(job, CancellationToken.None);

        var create = SingleCreate();
        Assert.Equal("/apis/batch/v1/namespaces/semanticmim/jobs", create.Path);
        var body = JsonNode.Parse(create.Body)!;
        var expected = Expected(JobKinds.Pretraining, job,
        [
            ("Job__Name", job.Name),
            ("Job__Kind", JobKinds.Pretraining),
            ("Job__ExperimentId", Experiment.ToString("D")),
            ("Training__Resume", "true"),
        ]);
        Assert.Equal(TestSupport.Canonical(expected), TestSupport.Canonical(body));

        // The same, field by field, from the raw body: nothing of the template's scheduling was dropped.
        Assert.Equal($"pretrain-{Experiment:N}", (string?)body["metadata"]!["name"]);
        var spec = body["spec"]!;
        Assert.Equal(6, (int)spec["backoffLimit"]!);
        Assert.Equal(3600, (int)spec["ttlSecondsAfterFinished"]!);
        Assert.Equal(259200, (int)spec["activeDeadlineSeconds"]!);
        var rule = Assert.Single(spec["podFailurePolicy"]!["rules"]!.AsArray())!;
        Assert.Equal("Ignore", (string?)rule["action"]);
        var condition = Assert.Single(rule["onPodConditions"]!.AsArray())!;
        Assert.Equal("DisruptionTarget", (string?)condition["type"]);
        Assert.Equal("True", (string?)condition["status"]);
        var pod = spec["template"]!["spec"]!;
        Assert.Equal("Never", (string?)pod["restartPolicy"]);
        Assert.Equal("ml-training", (string?)pod["priorityClassName"]);
        Assert.Equal("NVIDIA-H100-80GB-HBM3", (string?)pod["nodeSelector"]!["nvidia.com/gpu.product"]);
        Assert.Equal("nvidia-h100-80gb", (string?)pod["nodeSelector"]!["cloud.google.com/gke-accelerator"]);
        var tolerations = pod["tolerations"]!.AsArray();
        Assert.Equal(2, tolerations.Count);
        Assert.Contains(tolerations, t => (string?)t!["key"] == "nvidia.com/gpu" && (string?)t["operator"] == "Exists" && (string?)t["effect"] == "NoSchedule");
        Assert.NotNull(pod["affinity"]!["nodeAffinity"]);
        var container = Assert.Single(pod["containers"]!.AsArray())!;
        Assert.Equal("1", (string?)container["resources"]!["requests"]!["nvidia.com/gpu"]);
        Assert.Equal("1", (string?)container["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("48Gi", (string?)container["resources"]!["requests"]!["memory"]);
        var env = container["env"]!.AsArray();
        Assert.Equal("mim-semanticmim-rabbitmq", (string?)env.Single(e => (string?)e!["name"] == "Bus__RabbitMq")!["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.DoesNotContain(env, e => (string?)e!["name"] == "Job__EvaluationIndex");
        Assert.Equal("semanticmim", (string?)body["spec"]!["template"]!["metadata"]!["labels"]!["app.kubernetes.io/part-of"]);
    }

    [Fact]
    public async Task Evaluation_job_gets_its_index_as_label_and_environment()
    {
        var job = JobSpec.Evaluation(Experiment, 3);

        await _launcher.LaunchAsync(job, CancellationToken.None);

        var body = JsonNode.Parse(SingleCreate().Body)!;
        var expected = Expected(JobKinds.Evaluation, job,
        [
            ("Job__Name", job.Name),
            ("Job__Kind", JobKinds.Evaluation),
            ("Job__ExperimentId", Experiment.ToString("D")),
            ("Job__EvaluationIndex", "3"),
        ]);
        Assert.Equal(TestSupport.Canonical(expected), TestSupport.Canonical(body));
        Assert.Equal("3", (string?)body["metadata"]!["labels"]!["semanticmim.io/evaluation-index"]);
        Assert.Equal("evaluation", (string?)body["spec"]!["template"]!["metadata"]!["labels"]!["semanticmim.io/kind"]);
        var pod = body["spec"]!["template"]!["spec"]!;
        Assert.Equal("cpu-highmem", (string?)pod["nodeSelector"]!["node-pool"]);
        Assert.Null(pod["containers"]![0]!["resources"]!["requests"]!["nvidia.com/gpu"]);
        Assert.Equal(1, (int)body["spec"]!["backoffLimit"]!);
    }

    [Fact]
    public async Task A_report_job_runs_on_the_evaluators_template_with_its_own_kind()
    {
        var job = JobSpec.Report(Experiment);

        await _launcher.LaunchAsync(job, CancellationToken.None);

        var body = JsonNode.Parse(SingleCreate().Body)!;
        var expected = Expected(JobKinds.Evaluation, job,
        [
            ("Job__Name", job.Name),
            ("Job__Kind", JobKinds.Report),
            ("Job__ExperimentId", Experiment.ToString("D")),
        ]);
        foreach (var labels in new[] { expected["metadata"]!["labels"]!, expected["spec"]!["template"]!["metadata"]!["labels"]! })
        {
            labels["semanticmim.io/kind"] = JobKinds.Report;
        }
        Assert.Equal(TestSupport.Canonical(expected), TestSupport.Canonical(body));
        Assert.Equal($"report-{Experiment:N}", (string?)body["metadata"]!["name"]);
    }

    [Fact]
    public async Task A_tokens_job_is_the_tokens_template_with_its_GPU_and_part()
    {
        var job = JobSpec.Tokens(Experiment, new ShardPart(2, 3));

        await _launcher.LaunchAsync(job, CancellationToken.None);

        var body = JsonNode.Parse(SingleCreate().Body)!;
        var expected = Expected(JobKinds.Tokens, job,
        [
            ("Job__Name", job.Name),
            ("Job__Kind", JobKinds.Tokens),
            ("Job__ExperimentId", Experiment.ToString("D")),
            ("Job__Part", "2"),
            ("Job__Parts", "3"),
        ]);
        Assert.Equal(TestSupport.Canonical(expected), TestSupport.Canonical(body));
        Assert.Equal($"tokens-{Experiment:N}-2", (string?)body["metadata"]!["name"]);
        Assert.Null(body["metadata"]!["labels"]!["kueue.x-k8s.io/queue-name"]);
        Assert.Null(body["spec"]!["suspend"]);
        Assert.Equal("2-of-3", (string?)body["spec"]!["template"]!["metadata"]!["labels"]!["semanticmim.io/part"]);
        var pod = body["spec"]!["template"]!["spec"]!;
        Assert.Equal("NVIDIA-L4", (string?)pod["nodeSelector"]!["nvidia.com/gpu.product"]);
        var container = Assert.Single(pod["containers"]!.AsArray())!;
        Assert.Equal("trainer", (string?)container["name"]);
        Assert.Equal("1", (string?)container["resources"]!["requests"]!["nvidia.com/gpu"]);
        Assert.Equal("1", (string?)container["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("mim-semanticmim-broker-trainer",
            (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == "Bus__RabbitMq")!["valueFrom"]!["secretKeyRef"]!["name"]);
    }

    public static TheoryData<string, string, string, string> KueueJobs => new()
    {
        // kind, template, LocalQueue, WorkloadPriorityClass (as TestSupport.KueueJobsOptions renders them)
        { JobKinds.Pretraining, JobKinds.Pretraining, "gpu-batch", "sweep-low" },
        { JobKinds.Evaluation, JobKinds.Evaluation, "cpu-batch", "sweep-low" },
        { JobKinds.Report, JobKinds.Evaluation, "cpu-batch", "sweep-low" },
        { JobKinds.Tokens, JobKinds.Tokens, "gpu-batch", "tokens-high" },
    };

    [Theory]
    [MemberData(nameof(KueueJobs))]
    public async Task With_kueue_every_kind_of_job_is_created_suspended_with_its_queue_and_priority_labels(string kind, string template, string queue, string priority)
    {
        var launcher = new KubernetesJobLauncher(_client, TestSupport.KueueJobsOptions());
        var job = kind switch
        {
            JobKinds.Pretraining => JobSpec.Pretraining(Experiment),
            JobKinds.Evaluation => JobSpec.Evaluation(Experiment, 1),
            JobKinds.Report => JobSpec.Report(Experiment),
            _ => JobSpec.Tokens(Experiment, new ShardPart(0, 2)),
        };

        await launcher.LaunchAsync(job, CancellationToken.None);

        var create = SingleCreate();
        Assert.Equal("/apis/batch/v1/namespaces/semanticmim/jobs", create.Path);
        var body = JsonNode.Parse(create.Body)!;
        var environment = new List<(string Name, string Value)> { ("Job__Name", job.Name), ("Job__Kind", kind), ("Job__ExperimentId", Experiment.ToString("D")) };
        if (job.EvaluationIndex is { } index)
        {
            environment.Add(("Job__EvaluationIndex", index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (job.Part is { } part)
        {
            environment.Add(("Job__Part", part.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            environment.Add(("Job__Parts", part.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var expected = Expected(template, job, environment, "kueue-" + template);
        foreach (var labels in new[] { expected["metadata"]!["labels"]!, expected["spec"]!["template"]!["metadata"]!["labels"]! })
        {
            labels["semanticmim.io/kind"] = kind;
        }
        Assert.Equal(TestSupport.Canonical(expected), TestSupport.Canonical(body));

        // Kueue reads the queue and priority from the Job's labels and admits it by setting suspend to false.
        Assert.True((bool)body["spec"]!["suspend"]!);
        var labelsOfJob = body["metadata"]!["labels"]!;
        Assert.Equal(queue, (string?)labelsOfJob["kueue.x-k8s.io/queue-name"]);
        Assert.Equal(priority, (string?)labelsOfJob["kueue.x-k8s.io/priority-class"]);
        Assert.Equal(kind, (string?)labelsOfJob["semanticmim.io/kind"]);
        Assert.Equal(JobState.Queued, await launcher.GetStateAsync(job.Name, CancellationToken.None));
    }

    [Fact]
    public async Task A_kueue_job_is_queued_until_admitted_runs_from_its_admission_and_is_queued_again_when_preempted()
    {
        var launcher = new KubernetesJobLauncher(_client, TestSupport.KueueJobsOptions());
        var job = JobSpec.Pretraining(Experiment);
        var admitted = new DateTime(2026, 3, 1, 12, 30, 0, DateTimeKind.Utc);
        var readmitted = admitted.AddHours(2);

        await launcher.LaunchAsync(job, CancellationToken.None);
        var queued = await launcher.GetStateAsync(job.Name, CancellationToken.None);
        _api.ClearRequests();
        await launcher.LaunchAsync(job, CancellationToken.None);
        var launchedAgain = _api.Requests.Select(r => r.Method).ToList();
        _api.AdmitJob(TestSupport.Namespace, job.Name, admitted);
        var running = await launcher.GetStateAsync(job.Name, CancellationToken.None);
        _api.PreemptJob(TestSupport.Namespace, job.Name);
        var preempted = await launcher.GetStateAsync(job.Name, CancellationToken.None);
        _api.AdmitJob(TestSupport.Namespace, job.Name, readmitted);
        var resumed = await launcher.GetStateAsync(job.Name, CancellationToken.None);
        _api.CompleteJob(TestSupport.Namespace, job.Name);

        Assert.Equal(JobState.Queued, queued);
        // A queued Job launched again is left in its place in the queue: refused create, one read, no delete.
        Assert.Equal(["POST", "GET"], launchedAgain);
        Assert.Equal(JobState.RunningFrom(new DateTimeOffset(admitted)), running);
        Assert.Equal(JobState.Queued, preempted);
        Assert.Equal(JobState.RunningFrom(new DateTimeOffset(readmitted)), resumed);
        Assert.Equal(JobState.Succeeded, await launcher.GetStateAsync(job.Name, CancellationToken.None));
        Assert.Equal(1, _api.JobCount);
    }

    [Fact]
    public void Without_a_tokens_template_tokens_jobs_run_on_the_trainers()
    {
        var templates = new KubernetesJobTemplates { Pretraining = "/jobs/pretraining.yaml", Evaluation = "/jobs/evaluation.yaml" };

        Assert.Equal("/jobs/pretraining.yaml", templates.PathOf(JobKinds.Tokens));
        templates.Tokens = "/jobs/tokens.yaml";
        Assert.Equal("/jobs/tokens.yaml", templates.PathOf(JobKinds.Tokens));
    }

    [Fact]
    public async Task Cancelling_deletes_the_job_in_the_background_and_a_job_that_is_gone_is_left_alone()
    {
        var job = JobSpec.Pretraining(Experiment);
        await _launcher.LaunchAsync(job, CancellationToken.None);

        await _launcher.CancelAsync(job.Name, CancellationToken.None);
        await _launcher.CancelAsync("eval-never-launched-0", CancellationToken.None);

        var deletes = _api.Requests.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal(2, deletes.Count);
        Assert.Equal($"/apis/batch/v1/namespaces/semanticmim/jobs/{job.Name}", deletes[0].Path);
        Assert.Equal("Background", deletes[0].QueryValue("propagationPolicy"));
        Assert.Equal("/apis/batch/v1/namespaces/semanticmim/jobs/eval-never-launched-0", deletes[1].Path);
        Assert.Equal(JobState.NotFound, await _launcher.GetStateAsync(job.Name, CancellationToken.None));
    }

    [Fact]
    public async Task A_variable_the_template_has_is_replaced_not_duplicated()
    {
        var job = JobSpec.Pretraining(Experiment, new Dictionary<string, string> { ["Cache"] = "/scratch" });

        await _launcher.LaunchAsync(job, CancellationToken.None);

        var env = JsonNode.Parse(SingleCreate().Body)!["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        var cache = Assert.Single(env, e => (string?)e!["name"] == "Cache")!;
        Assert.Equal("/scratch", (string?)cache["value"]);
    }

    [Fact]
    public async Task Launching_a_running_job_again_creates_nothing()
    {
        var job = JobSpec.Pretraining(Experiment);
        await _launcher.LaunchAsync(job, CancellationToken.None);
        var uid = _api.GetJob(TestSupport.Namespace, job.Name)!.Metadata.Uid;
        _api.StartJob(TestSupport.Namespace, job.Name);
        _api.ClearRequests();

        await _launcher.LaunchAsync(job, CancellationToken.None);

        // The create is refused (409), the Job is read, found running and left alone.
        Assert.Equal(["POST", "GET"], _api.Requests.Select(r => r.Method));
        Assert.Equal(1, _api.JobCount);
        Assert.Equal(uid, _api.GetJob(TestSupport.Namespace, job.Name)!.Metadata.Uid);
    }

    [Fact]
    public async Task Launching_a_succeeded_job_again_leaves_it_alone()
    {
        var job = JobSpec.Evaluation(Experiment, 0);
        await _launcher.LaunchAsync(job, CancellationToken.None);
        _api.CompleteJob(TestSupport.Namespace, job.Name);
        _api.ClearRequests();

        await _launcher.LaunchAsync(job, CancellationToken.None);

        Assert.Equal(["POST", "GET"], _api.Requests.Select(r => r.Method));
        Assert.Equal(JobState.Succeeded, await _launcher.GetStateAsync(job.Name, CancellationToken.None));
    }

    [Fact]
    public async Task Launching_a_failed_job_again_deletes_it_in_the_background_and_creates_it_anew()
    {
        var job = JobSpec.Pretraining(Experiment);
        await _launcher.LaunchAsync(job, CancellationToken.None);
        var first = _api.GetJob(TestSupport.Namespace, job.Name)!.Metadata.Uid;
        _api.FailJob(TestSupport.Namespace, job.Name, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
        _api.ClearRequests();

        await _launcher.LaunchAsync(job, CancellationToken.None);

        Assert.Equal(["POST", "GET", "DELETE", "POST"], _api.Requests.Select(r => r.Method));
        var delete = _api.Requests.Single(r => r.Method == "DELETE");
        Assert.Equal($"/apis/batch/v1/namespaces/semanticmim/jobs/{job.Name}", delete.Path);
        Assert.Equal("Background", delete.QueryValue("propagationPolicy"));
        var relaunched = _api.GetJob(TestSupport.Namespace, job.Name)!;
        Assert.NotEqual(first, relaunched.Metadata.Uid);
        Assert.Equal(JobState.Running, await _launcher.GetStateAsync(job.Name, CancellationToken.None));
        // The body created again is the same as the first time.
        var creates = _api.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(creates[0].Body, creates[1].Body);
    }

    [Fact]
    public async Task Server_errors_and_throttling_are_retried()
    {
        _api.FailNext(1, 500, "POST");
        _api.FailNext(1, 503, "POST");
        _api.FailNext(1, 429, "POST");

        await _launcher.LaunchAsync(JobSpec.Pretraining(Experiment), CancellationToken.None);

        Assert.Equal(4, _api.Requests.Count(r => r.Method == "POST"));
        Assert.Equal(1, _api.JobCount);
    }

    [Fact]
    public async Task A_slow_attempt_times_out_and_is_retried()
    {
        var options = TestSupport.JobsOptions();
        options.Api.AttemptTimeout = TimeSpan.FromMilliseconds(300);
        var launcher = new KubernetesJobLauncher(_client, options);
        var job = JobSpec.Pretraining(Experiment);
        await launcher.LaunchAsync(job, CancellationToken.None);
        _api.FailNext(1, 0, "GET", delay: TimeSpan.FromSeconds(5));

        Assert.Equal(JobState.Running, await launcher.GetStateAsync(job.Name, CancellationToken.None));
        Assert.Equal(2, _api.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task Forbidden_is_not_retried()
    {
        _api.FailNext(1, 403, "POST");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => _launcher.LaunchAsync(JobSpec.Pretraining(Experiment), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        Assert.Single(_api.Requests);
        Assert.Equal(0, _api.JobCount);
    }

    [Fact]
    public async Task Persistent_server_errors_surface_after_the_retries()
    {
        _api.FailNext(10, 503, "POST");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => _launcher.LaunchAsync(JobSpec.Pretraining(Experiment), CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Response.StatusCode);
        Assert.Equal(5, _api.Requests.Count); // the first attempt and 4 retries
    }

    [Fact]
    public async Task Job_state_follows_the_job_conditions()
    {
        var job = JobSpec.Evaluation(Experiment, 1);
        Assert.Equal(JobState.NotFound, await _launcher.GetStateAsync(job.Name, CancellationToken.None));

        await _launcher.LaunchAsync(job, CancellationToken.None);
        Assert.Equal(JobState.Running, await _launcher.GetStateAsync(job.Name, CancellationToken.None));

        _api.StartJob(TestSupport.Namespace, job.Name);
        _api.UpdateJobStatus(TestSupport.Namespace, job.Name, status =>
            status.Conditions = [new V1JobCondition { Type = "FailureTarget", Status = "False" }, new V1JobCondition { Type = "Suspended", Status = "False" }]);
        Assert.Equal(JobState.Running, await _launcher.GetStateAsync(job.Name, CancellationToken.None));

        _api.CompleteJob(TestSupport.Namespace, job.Name);
        Assert.Equal(JobState.Succeeded, await _launcher.GetStateAsync(job.Name, CancellationToken.None));

        _api.FailJob(TestSupport.Namespace, job.Name, "DeadlineExceeded", "Job was active longer than specified deadline");
        Assert.Equal(JobState.Failed("Job was active longer than specified deadline"), await _launcher.GetStateAsync(job.Name, CancellationToken.None));

        _api.FailJob(TestSupport.Namespace, job.Name, "PodFailurePolicy", null);
        Assert.Equal(JobState.Failed("PodFailurePolicy"), await _launcher.GetStateAsync(job.Name, CancellationToken.None));
    }

    [Fact]
    public async Task An_invalid_spec_is_refused_before_any_call()
    {
        var job = JobSpec.Pretraining(Experiment) with { Name = "Not_A_Name", ExperimentId = Guid.Empty };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _launcher.LaunchAsync(job, CancellationToken.None));

        Assert.Contains("DNS-1123", error.Message, StringComparison.Ordinal);
        Assert.Contains("ExperimentId is empty", error.Message, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }
}
