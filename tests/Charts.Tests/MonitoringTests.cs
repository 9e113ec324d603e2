using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>ServiceMonitor and PodMonitor exist only when asked for, and scrape what serves metrics.</summary>
public sealed class MonitoringTests
{
    [Theory]
    [InlineData(RenderMatrix.Defaults)]
    [InlineData(RenderMatrix.External)]
    [InlineData(RenderMatrix.Gpu)]
    public async Task NoMonitorsUnlessEnabled(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        Assert.Empty(chart.All<MonitoringResource>());
        Assert.DoesNotContain("monitoring.coreos.com", chart.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheServiceMonitorScrapesTheServicesAndTheBroker()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Monitoring);

        var monitor = Assert.Single(chart.Monitors("ServiceMonitor"));
        Assert.Equal("monitoring.coreos.com/v1", monitor.ApiVersion);
        Assert.Equal("kube-prometheus-stack", monitor.Metadata.Labels["release"]);
        Assert.Equal("http-metrics", monitor.At("endpoints", 0, "port"));
        Assert.Equal("/metrics", monitor.At("endpoints", 0, "path"));
        Assert.Equal("15s", monitor.At("endpoints", 0, "interval"));
        Assert.Equal("10s", monitor.At("endpoints", 0, "scrapeTimeout"));
        Assert.Equal(Chart.Namespace, monitor.At("namespaceSelector", "matchNames", 0));

        var selector = Selector(monitor);
        var scraped = chart.All<V1Service>().Where(service => Selects(selector, service.Metadata.Labels)
                                                             && service.Spec.Ports.Any(port => port.Name == "http-metrics")).ToList();
        Assert.Equal(["orchestrator", "rabbitmq", "shard", "target"], scraped.Select(s => s.Metadata.Labels["app.kubernetes.io/component"]).Order());
    }

    [Fact]
    public async Task ThePodMonitorScrapesTheJobPods()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Monitoring);

        var monitor = Assert.Single(chart.Monitors("PodMonitor"));
        Assert.Equal("kube-prometheus-stack", monitor.Metadata.Labels["release"]);
        Assert.Equal("http-metrics", monitor.At("podMetricsEndpoints", 0, "port"));
        Assert.Equal("/metrics", monitor.At("podMetricsEndpoints", 0, "path"));
        var selector = Selector(monitor);
        var scraped = chart.PodTemplates.Where(pod => Selects(selector, pod.Template.Metadata.Labels)).Select(pod => pod.Component).Order();
        Assert.Equal(["evaluator", "trainer"], scraped);
    }

    static V1LabelSelector Selector(MonitoringResource monitor)
    {
        var matchLabels = ((IDictionary<object, object>)monitor.At("selector", "matchLabels")!).ToDictionary(p => (string)p.Key, p => (string)p.Value);
        var expressions = ((IList<object>)monitor.At("selector", "matchExpressions")!).Cast<IDictionary<object, object>>()
            .Select(e => new V1LabelSelectorRequirement
            {
                Key = (string)e["key"],
                OperatorProperty = (string)e["operator"],
                Values = ((IList<object>)e["values"]).Cast<string>().ToList(),
            })
            .ToList();
        return new V1LabelSelector { MatchExpressions = expressions, MatchLabels = matchLabels };
    }

    static bool Selects(V1LabelSelector selector, IDictionary<string, string> labels) => NetworkPolicyTests.Selects(selector, labels);
}
