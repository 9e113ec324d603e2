using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>Ingress is denied to every pod of the release, then opened only where the platform needs it.</summary>
public sealed class NetworkPolicyTests
{
    static readonly string[] Clients = ["orchestrator", "shard", "target", "trainer", "evaluator"];

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task IngressIsDeniedByDefaultToEveryPodOfTheRelease(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        var deny = chart.Named<V1NetworkPolicy>(RenderedChart.FullName("default-deny"));
        // Egress is denied by the same policy (LeastPrivilegeTests checks what each workload may reach).
        Assert.Equal(["Ingress", "Egress"], deny.Spec.PolicyTypes);
        Assert.Empty(deny.Spec.Ingress ?? []);
        Assert.All(chart.PodTemplates, pod => Assert.True(Selects(deny.Spec.PodSelector, pod), $"the default-deny policy misses {pod}"));
        // Nothing outside the release: the selector names the release.
        Assert.Equal(Chart.ReleaseName, deny.Spec.PodSelector.MatchLabels["app.kubernetes.io/instance"]);
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task ServicesAndJobsReachTheBrokerAndStoreOnTheirPortsOnly(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var policies = chart.All<V1NetworkPolicy>().Where(p => p.Spec.PolicyTypes.Contains("Ingress")).ToList();

        if (valuesFile == RenderMatrix.External)
        {
            Assert.Equal(["default-deny", "metrics"], policies.Select(p => p.Metadata.Name.Replace(RenderedChart.FullName(""), "", StringComparison.Ordinal)).Order());
            return;
        }

        Assert.Equal(4, policies.Count);
        foreach (var (component, portName, port) in new[] { ("rabbitmq", "amqp", 5672), ("minio", "http-api", 9000) })
        {
            var policy = chart.Named<V1NetworkPolicy>(RenderedChart.FullName($"{component}-clients"));
            var server = Assert.Single(chart.PodTemplates, pod => Selects(policy.Spec.PodSelector, pod));
            Assert.Equal(component, server.Component);
            var rule = Assert.Single(policy.Spec.Ingress);
            var allowedPort = Assert.Single(rule.Ports);
            Assert.Equal(portName, allowedPort.Port.Value);
            Assert.Equal(port, Assert.Single(server.Template.Spec.Containers).Ports.Single(p => p.Name == portName).ContainerPort);
            var peer = rule.FromProperty[0];
            Assert.Null(peer.NamespaceSelector);
            var admitted = chart.PodTemplates.Where(pod => Selects(peer.PodSelector, pod)).Select(pod => pod.Component).Order();
            Assert.Equal(Clients.Order(), admitted);
        }

        if (valuesFile == RenderMatrix.Monitoring)
        {
            var broker = chart.Named<V1NetworkPolicy>(RenderedChart.FullName("rabbitmq-clients"));
            Assert.Equal("ci", broker.Spec.Ingress[0].FromProperty[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        }
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task PrometheusReachesTheMetricsPortsOnly(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        var policy = chart.Named<V1NetworkPolicy>(RenderedChart.FullName("metrics"));

        var rule = Assert.Single(policy.Spec.Ingress);
        Assert.Equal("http-metrics", Assert.Single(rule.Ports).Port.Value);
        var peer = Assert.Single(rule.FromProperty);
        string expectedNamespace = valuesFile == RenderMatrix.Monitoring ? "kube-prometheus-stack" : "monitoring";
        Assert.Equal(expectedNamespace, peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
        Assert.Equal("prometheus", peer.PodSelector.MatchLabels["app.kubernetes.io/name"]);
        var scraped = chart.PodTemplates.Where(pod => Selects(policy.Spec.PodSelector, pod)).ToList();
        Assert.All(scraped, pod => Assert.Contains(pod.Template.Spec.Containers.SelectMany(c => c.Ports ?? []), p => p.Name == "http-metrics"));
        Assert.Superset(Clients.ToHashSet(), scraped.Select(pod => pod.Component).ToHashSet());
        Assert.DoesNotContain(scraped, pod => pod.Component == "minio");
    }

    [Fact]
    public async Task PoliciesCanBeTurnedOff()
    {
        var chart = await Chart.RenderAsync(null, "--set", "networkPolicy.enabled=false");

        Assert.Empty(chart.All<V1NetworkPolicy>());
    }

    /// <summary>Whether a label selector (matchLabels and In/NotIn/Exists expressions) selects the pod.</summary>
    internal static bool Selects(V1LabelSelector? selector, PodTemplate pod) => Selects(selector, pod.Template.Metadata.Labels);

    internal static bool Selects(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return false;
        }

        bool labelsMatch = (selector.MatchLabels ?? new Dictionary<string, string>()).All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
        bool expressionsMatch = (selector.MatchExpressions ?? []).All(expression => expression.OperatorProperty switch
        {
            "In" => labels.TryGetValue(expression.Key, out var value) && expression.Values.Contains(value),
            "NotIn" => !labels.TryGetValue(expression.Key, out var value) || !expression.Values.Contains(value),
            "Exists" => labels.ContainsKey(expression.Key),
            "DoesNotExist" => !labels.ContainsKey(expression.Key),
            _ => throw new InvalidOperationException($"unknown operator {expression.OperatorProperty}"),
        });
        return labelsMatch && expressionsMatch;
    }
}
