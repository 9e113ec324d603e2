using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>Deployments, StatefulSets, Services and disruption budgets fit together.</summary>
public sealed class WorkloadTests
{
    static readonly string[] StandardLabels =
    [
        "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/managed-by",
        "app.kubernetes.io/version", "app.kubernetes.io/part-of", "helm.sh/chart",
    ];

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EveryServiceDeploymentProbesItsHealthEndpointsOnItsMetricsPort(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        var deployments = chart.All<V1Deployment>().ToList();
        Assert.Equal(3, deployments.Count);
        foreach (var deployment in deployments)
        {
            var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
            var port = Assert.Single(container.Ports);
            Assert.Equal("http-metrics", port.Name);
            Assert.Equal(8080, port.ContainerPort);
            Assert.Equal($"http://0.0.0.0:{port.ContainerPort}", SecurityTests.Env(container, "ASPNETCORE_URLS"));
            Assert.Equal("/health/live", container.LivenessProbe?.HttpGet?.Path);
            Assert.Equal("http-metrics", container.LivenessProbe!.HttpGet.Port.Value);
            Assert.Equal("/health/ready", container.ReadinessProbe?.HttpGet?.Path);
            Assert.Equal("http-metrics", container.ReadinessProbe!.HttpGet.Port.Value);
            Assert.NotNull(container.Resources?.Requests);
            Assert.True(container.Resources.Limits?.ContainsKey("memory"), $"{deployment.Metadata.Name} has no memory limit");
        }

        foreach (var statefulSet in chart.All<V1StatefulSet>())
        {
            var container = Assert.Single(statefulSet.Spec.Template.Spec.Containers);
            Assert.NotNull(container.LivenessProbe);
            Assert.NotNull(container.ReadinessProbe);
            Assert.NotNull(container.Resources?.Requests);
        }
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EveryObjectAndPodCarriesTheStandardLabels(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        foreach (var item in chart.KubernetesObjects)
        {
            AssertStandardLabels($"{item.Kind} {item.Metadata.Name}", item.Metadata.Labels);
        }

        foreach (var pod in chart.PodTemplates)
        {
            AssertStandardLabels(pod.ToString(), pod.Template.Metadata.Labels);
        }
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task ServicesAndBudgetsSelectTheirPodsAndNamedPortsExist(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var pods = chart.PodTemplates;

        foreach (var service in chart.All<V1Service>())
        {
            var selected = pods.Where(pod => Matches(service.Spec.Selector, pod.Template.Metadata.Labels)).ToList();
            var workload = Assert.Single(selected);
            var ports = workload.Template.Spec.Containers.SelectMany(c => c.Ports ?? []).ToDictionary(p => p.Name);
            foreach (var port in service.Spec.Ports)
            {
                Assert.True(ports.ContainsKey(port.TargetPort.Value), $"Service {service.Metadata.Name} targets port '{port.TargetPort.Value}', which {workload} lacks");
            }
        }

        var budgets = chart.All<V1PodDisruptionBudget>().ToList();
        var expected = valuesFile == RenderMatrix.External ? new[] { "orchestrator", "shard", "target" } : ["minio", "orchestrator", "rabbitmq", "shard", "target"];
        Assert.Equal(expected, budgets.Select(b => b.Metadata.Labels["app.kubernetes.io/component"]).Order());
        foreach (var budget in budgets)
        {
            var workload = Assert.Single(pods, pod => Matches(budget.Spec.Selector.MatchLabels, pod.Template.Metadata.Labels));
            Assert.True(budget.Spec.MinAvailable is null ^ budget.Spec.MaxUnavailable is null, $"{budget.Metadata.Name}: one of minAvailable and maxUnavailable");
            int replicas = chart.All<V1Deployment>().SingleOrDefault(d => d.Metadata.Name == workload.Name)?.Spec.Replicas ?? 1;
            if (budget.Spec.MinAvailable is { } min)
            {
                Assert.True(int.Parse(min.Value, System.Globalization.CultureInfo.InvariantCulture) < replicas, $"{budget.Metadata.Name} would block node drains");
            }
        }
    }

    [Fact]
    public async Task ReplicatedServicesSpreadAcrossNodes()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Monitoring);

        foreach (var deployment in chart.All<V1Deployment>())
        {
            Assert.True(deployment.Spec.Replicas > 1);
            var term = Assert.Single(deployment.Spec.Template.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution);
            Assert.Equal("kubernetes.io/hostname", term.PodAffinityTerm.TopologyKey);
            Assert.True(Matches(term.PodAffinityTerm.LabelSelector.MatchLabels, deployment.Spec.Template.Metadata.Labels));
        }
    }

    [Fact]
    public async Task TheBundledBrokerAndStoreKeepTheirDataOnClaimsAndServeThePlatformsPorts()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Defaults);

        var rabbitmq = chart.Named<V1StatefulSet>(RenderedChart.FullName("rabbitmq"));
        var claim = Assert.Single(rabbitmq.Spec.VolumeClaimTemplates);
        Assert.Equal("8Gi", claim.Spec.Resources.Requests["storage"].ToString());
        var broker = Assert.Single(rabbitmq.Spec.Template.Spec.Containers);
        Assert.Equal("docker.io/library/rabbitmq:3.13.7-management", broker.Image);
        Assert.Equal("/var/lib/rabbitmq", broker.VolumeMounts.Single(m => m.Name == claim.Metadata.Name).MountPath);
        Assert.Equal("/var/lib/rabbitmq", SecurityTests.Env(broker, "HOME"));
        Assert.Equal([5672, 15672, 15692], broker.Ports.Select(p => p.ContainerPort).Order());
        Assert.Equal("http-metrics", broker.Ports.Single(p => p.ContainerPort == 15692).Name);

        var minio = chart.Named<V1StatefulSet>(RenderedChart.FullName("minio"));
        var storeClaim = Assert.Single(minio.Spec.VolumeClaimTemplates);
        Assert.Equal("100Gi", storeClaim.Spec.Resources.Requests["storage"].ToString());
        var store = Assert.Single(minio.Spec.Template.Spec.Containers);
        Assert.StartsWith("docker.io/minio/minio:RELEASE.", store.Image, StringComparison.Ordinal);
        Assert.Equal("/data", store.VolumeMounts.Single(m => m.Name == storeClaim.Metadata.Name).MountPath);
        Assert.Equal("/minio/health/ready", store.ReadinessProbe.HttpGet.Path);
    }

    [Fact]
    public async Task ImagesFollowTheGlobalRegistryTagsAndDigests()
    {
        var chart = await Chart.RenderAsync(null,
            "--set", "global.imageRegistry=registry.example.org/ml",
            "--set", "shard.image.tag=1.2.3",
            "--set", "target.image.digest=sha256:" + new string('a', 64),
            "--set", "global.imagePullSecrets[0]=regcred");

        Assert.Equal("registry.example.org/ml/semanticmim/orchestrator:0.1.0", Image(chart, "orchestrator"));
        Assert.Equal("registry.example.org/ml/semanticmim/shard:1.2.3", Image(chart, "shard"));
        Assert.Equal($"registry.example.org/ml/semanticmim/target@sha256:{new string('a', 64)}", Image(chart, "target"));
        Assert.Equal("registry.example.org/ml/library/rabbitmq:3.13.7-management",
            Assert.Single(chart.Named<V1StatefulSet>(RenderedChart.FullName("rabbitmq")).Spec.Template.Spec.Containers).Image);
        Assert.Equal("registry.example.org/ml/semanticmim/trainer:0.1.0", Assert.Single(chart.JobTemplates["pretraining.yaml"].Spec.Template.Spec.Containers).Image);
        Assert.All(chart.PodTemplates, pod => Assert.Equal("regcred", Assert.Single(pod.Template.Spec.ImagePullSecrets).Name));
    }

    static string Image(RenderedChart chart, string component) =>
        Assert.Single(chart.Named<V1Deployment>(RenderedChart.FullName(component)).Spec.Template.Spec.Containers).Image;

    static void AssertStandardLabels(string what, IDictionary<string, string>? labels)
    {
        Assert.True(labels is not null, $"{what} has no labels");
        foreach (var label in StandardLabels)
        {
            Assert.True(labels.TryGetValue(label, out var value) && value.Length > 0, $"{what} lacks the label {label}");
        }

        Assert.Equal("semanticmim", labels["app.kubernetes.io/name"]);
        Assert.Equal(Chart.ReleaseName, labels["app.kubernetes.io/instance"]);
        Assert.Equal("semanticmim", labels["app.kubernetes.io/part-of"]);
    }

    internal static bool Matches(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
}
