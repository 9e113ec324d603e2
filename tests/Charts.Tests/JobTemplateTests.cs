using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>
/// The trainer and evaluator Job templates the orchestrator's Kubernetes launcher creates Jobs from
/// (ConfigMap <c>mim-semanticmim-job-templates</c>, mounted at /etc/semanticmim/jobs).
/// </summary>
public sealed class JobTemplateTests
{
    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task TheOrchestratorIsToldWhereTheTemplatesAreAndTheyAreMountedThere(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var pod = chart.Named<V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        Assert.Equal("kubernetes", SecurityTests.Env(container, "Jobs__Launcher"));
        Assert.Equal("metadata.namespace", container.Env.Single(e => e.Name == "Jobs__Namespace").ValueFrom.FieldRef.FieldPath);
        var mount = container.VolumeMounts.Single(m => m.MountPath == "/etc/semanticmim/jobs");
        Assert.True(mount.ReadOnlyProperty);
        var volume = pod.Volumes.Single(v => v.Name == mount.Name);
        Assert.Equal(RenderedChart.FullName("job-templates"), volume.ConfigMap.Name);
        Assert.Equal("/etc/semanticmim/jobs/pretraining.yaml", SecurityTests.Env(container, "Jobs__Templates__Pretraining"));
        Assert.Equal("/etc/semanticmim/jobs/evaluation.yaml", SecurityTests.Env(container, "Jobs__Templates__Evaluation"));
        Assert.Equal(["evaluation.yaml", "pretraining.yaml"], chart.JobTemplates.Keys.Order());
        // A changed template restarts the orchestrator, which reads the files at start.
        Assert.Matches("^[0-9a-f]{64}$", chart.Named<V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Template.Metadata.Annotations["checksum/job-templates"]);
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EachTemplateIsACompleteJobWithoutAName(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        foreach (var (file, component) in new[] { ("pretraining.yaml", "trainer"), ("evaluation.yaml", "evaluator") })
        {
            var job = chart.JobTemplates[file];
            Assert.Equal("batch/v1", job.ApiVersion);
            Assert.Equal("Job", job.Kind);
            Assert.Null(job.Metadata.Name);
            Assert.Equal(component, job.Metadata.Labels["app.kubernetes.io/component"]);
            Assert.Equal("semanticmim-orchestrator", job.Metadata.Labels["app.kubernetes.io/managed-by"]);
            Assert.Equal(component, job.Spec.Template.Metadata.Labels["app.kubernetes.io/component"]);
            Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
            var container = Assert.Single(job.Spec.Template.Spec.Containers);
            Assert.Equal(component, container.Name);
            Assert.Equal($"semanticmim/{component}:0.1.0", container.Image);
            Assert.Equal("http://0.0.0.0:8080", SecurityTests.Env(container, "ASPNETCORE_URLS"));
            Assert.Equal("http-metrics", Assert.Single(container.Ports).Name);
            // The launcher adds these per job; a template that set them would launch every job as the same one.
            Assert.DoesNotContain(container.Env, variable => variable.Name.StartsWith("Job__", StringComparison.Ordinal));

            // Preemption and eviction do not count as failures.
            var rule = Assert.Single(job.Spec.PodFailurePolicy.Rules);
            Assert.Equal("Ignore", rule.Action);
            var condition = Assert.Single(rule.OnPodConditions);
            Assert.Equal(("DisruptionTarget", "True"), (condition.Type, condition.Status));
            Assert.NotNull(job.Spec.TtlSecondsAfterFinished);
        }
    }

    [Fact]
    public async Task ByDefaultEveryJobRequestsAndIsLimitedToOneGpuAndToleratesGpuNodes()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Defaults);

        foreach (var job in chart.JobTemplates.Values)
        {
            var resources = Assert.Single(job.Spec.Template.Spec.Containers).Resources;
            Assert.Equal("1", resources.Requests["nvidia.com/gpu"].ToString());
            Assert.Equal("1", resources.Limits["nvidia.com/gpu"].ToString());
            var toleration = Assert.Single(job.Spec.Template.Spec.Tolerations);
            Assert.Equal(("nvidia.com/gpu", "Exists", "NoSchedule"), (toleration.Key, toleration.OperatorProperty, toleration.Effect));
        }

        Assert.Equal(3, chart.JobTemplates["pretraining.yaml"].Spec.BackoffLimit);
        Assert.Equal(86400, chart.JobTemplates["pretraining.yaml"].Spec.TtlSecondsAfterFinished);
        Assert.Null(chart.JobTemplates["pretraining.yaml"].Spec.ActiveDeadlineSeconds);
    }

    [Fact]
    public async Task GpuSchedulingValuesReachTheTemplates()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Gpu);
        var trainer = chart.JobTemplates["pretraining.yaml"];
        var evaluator = chart.JobTemplates["evaluation.yaml"];
        var pod = trainer.Spec.Template.Spec;
        var resources = Assert.Single(pod.Containers).Resources;

        Assert.Equal("1", resources.Requests["nvidia.com/gpu"].ToString());
        Assert.Equal("1", resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("8", resources.Requests["cpu"].ToString());
        Assert.Equal("48Gi", resources.Requests["memory"].ToString());
        Assert.Equal("64Gi", resources.Limits["memory"].ToString());
        Assert.Equal("NVIDIA-H100-80GB-HBM3", pod.NodeSelector["nvidia.com/gpu.product"]);
        Assert.Equal("nvidia-h100-80gb", pod.NodeSelector["cloud.google.com/gke-accelerator"]);
        Assert.Equal(["dedicated", "nvidia.com/gpu"], pod.Tolerations.Select(t => t.Key).Order());
        Assert.Equal("ml-training", pod.Tolerations.Single(t => t.Key == "dedicated").Value);
        Assert.Equal("topology.kubernetes.io/zone",
            pod.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Key);
        Assert.Equal("ml-training", pod.PriorityClassName);
        Assert.Equal(6, trainer.Spec.BackoffLimit);
        Assert.Equal(3600, trainer.Spec.TtlSecondsAfterFinished);
        Assert.Equal(259200, trainer.Spec.ActiveDeadlineSeconds);
        Assert.Equal("500Gi", pod.Volumes.Single(v => v.Name == "cache").EmptyDir.SizeLimit.ToString());

        // A CPU-only evaluator: no GPU resource, no GPU toleration, its own nodes.
        var evaluatorPod = evaluator.Spec.Template.Spec;
        var evaluatorResources = Assert.Single(evaluatorPod.Containers).Resources;
        Assert.DoesNotContain("nvidia.com/gpu", evaluatorResources.Requests.Keys);
        Assert.DoesNotContain("nvidia.com/gpu", evaluatorResources.Limits.Keys);
        Assert.Empty(evaluatorPod.Tolerations ?? []);
        Assert.Equal("cpu-highmem", evaluatorPod.NodeSelector["node-pool"]);
        Assert.Equal(1, evaluator.Spec.BackoffLimit);
    }

    [Fact]
    public async Task TokensJobsGetTheTrainersPodWithTheirOwnGpusAndNodes()
    {
        var off = await Chart.RenderAsync(RenderMatrix.Gpu);
        var chart = await Chart.RenderAsync(RenderMatrix.Gpu, "--set", "jobs.tokens.gpu.count=1", "--set", "jobs.tokens.parts=8",
            "--set", "jobs.tokens.sampleThreshold=100000", "--set", "jobs.tokens.nodeSelector.node-pool=gpu-inference");
        var orchestrator = Assert.Single(chart.Named<V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Template.Spec.Containers);
        var tokens = chart.JobTemplates["tokens.yaml"];
        var trainer = chart.JobTemplates["pretraining.yaml"];
        var pod = tokens.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);

        // Off by default: no template, and the orchestrator keeps every target on the target service.
        Assert.DoesNotContain("tokens.yaml", off.JobTemplates.Keys);
        Assert.Null(SecurityTests.Env(Assert.Single(off.Named<V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Template.Spec.Containers),
            "Orchestrator__Tokens__Gpus"));
        Assert.Equal("/etc/semanticmim/jobs/tokens.yaml", SecurityTests.Env(orchestrator, "Jobs__Templates__Tokens"));
        Assert.Equal(("1", "100000", "8"), (SecurityTests.Env(orchestrator, "Orchestrator__Tokens__Gpus"),
            SecurityTests.Env(orchestrator, "Orchestrator__Tokens__SampleThreshold"), SecurityTests.Env(orchestrator, "Orchestrator__Tokens__Parts")));
        Assert.Equal("1", container.Resources.Requests["nvidia.com/gpu"].ToString());
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal(new Dictionary<string, string> { ["node-pool"] = "gpu-inference" }, pod.NodeSelector);
        // The trainer's image, tolerations and credentials: a tokens job is a trainer pod.
        var trainerContainer = Assert.Single(trainer.Spec.Template.Spec.Containers);
        Assert.Equal(trainerContainer.Image, container.Image);
        Assert.Equal(trainer.Spec.Template.Spec.Tolerations.Select(t => t.Key), pod.Tolerations.Select(t => t.Key));
        Assert.Equal(trainerContainer.Env.Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => (e.Name, e.ValueFrom.SecretKeyRef.Name)),
            container.Env.Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => (e.Name, e.ValueFrom.SecretKeyRef.Name)));
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task OnlyWithKueueAreTheJobsSuspendedAndLabelledForAQueue(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        bool kueue = valuesFile == RenderMatrix.Kueue;

        foreach (var job in chart.JobTemplates.Values)
        {
            Assert.Equal(kueue ? true : null, job.Spec.Suspend);
            Assert.Equal(kueue, job.Metadata.Labels.ContainsKey("kueue.x-k8s.io/queue-name"));
            Assert.Equal(kueue, job.Metadata.Labels.ContainsKey("kueue.x-k8s.io/priority-class"));
            // Kueue reads the Job's labels; the pods keep only the platform's.
            Assert.DoesNotContain(job.Spec.Template.Metadata.Labels.Keys, key => key.StartsWith("kueue.x-k8s.io/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task WithKueueEachKindOfJobGetsItsOwnQueueAndPriorityOrTheSharedOnes()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Kueue, "--set", "jobs.tokens.gpu.count=1");

        (string?, string?, bool?) Kueue(string file)
        {
            var job = chart.JobTemplates[file];
            string? Label(string key) => job.Metadata.Labels.TryGetValue(key, out var value) ? value : null;
            return (Label("kueue.x-k8s.io/queue-name"), Label("kueue.x-k8s.io/priority-class"), job.Spec.Suspend);
        }

        Assert.Equal(["evaluation.yaml", "pretraining.yaml", "tokens.yaml"], chart.JobTemplates.Keys.Order());
        Assert.Equal(("gpu-batch", "sweep-low", true), Kueue("pretraining.yaml"));
        Assert.Equal(("cpu-batch", "sweep-low", true), Kueue("evaluation.yaml"));
        Assert.Equal(("gpu-batch", "tokens-high", true), Kueue("tokens.yaml"));
    }

    [Fact]
    public async Task WithKueueAndNoPriorityClassTheJobsCarryNoPriorityLabel()
    {
        var chart = await Chart.RenderAsync(null, "--set", "jobs.kueue.enabled=true", "--set", "jobs.kueue.queueName=team-a");

        foreach (var job in chart.JobTemplates.Values)
        {
            Assert.Equal("team-a", job.Metadata.Labels["kueue.x-k8s.io/queue-name"]);
            Assert.DoesNotContain("kueue.x-k8s.io/priority-class", job.Metadata.Labels.Keys);
            Assert.True(job.Spec.Suspend);
        }
    }
}
