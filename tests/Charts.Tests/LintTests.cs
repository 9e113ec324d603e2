using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

public sealed class LintTests
{
    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task HelmLintPassesStrictly(string valuesFile)
    {
        var result = await Chart.LintAsync(valuesFile);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("0 chart(s) failed", result.Output);
        Assert.DoesNotContain("[WARNING]", result.Output);
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EveryRenderedDocumentParsesIntoAKnownType(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);

        Assert.NotEmpty(chart.Objects);
        Assert.All(chart.KubernetesObjects, item => Assert.False(string.IsNullOrEmpty(item.Metadata?.Name), $"{item.Kind} without a name"));
        var names = chart.KubernetesObjects.GroupBy(item => (item.ApiVersion, item.Kind, item.Metadata.Name)).Where(group => group.Count() > 1);
        Assert.Empty(names);
        // Everything lives in the release namespace, except dashboards sent where Grafana's sidecar looks.
        Assert.All(chart.KubernetesObjects.Where(item => item.Metadata.Labels["app.kubernetes.io/component"] != "dashboards"),
            item => Assert.Equal(Chart.Namespace, item.Metadata.NamespaceProperty));
    }

    [Fact]
    public async Task TheDefaultsInstallEveryComponent()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Defaults);

        Assert.Equal(["orchestrator", "shard", "target"],
            chart.All<k8s.Models.V1Deployment>().Select(d => d.Spec.Template.Metadata.Labels["app.kubernetes.io/component"]).Order());
        Assert.Equal(["minio", "rabbitmq"],
            chart.All<k8s.Models.V1StatefulSet>().Select(s => s.Spec.Template.Metadata.Labels["app.kubernetes.io/component"]).Order());
        Assert.Equal(1, chart.Named<k8s.Models.V1Deployment>(RenderedChart.FullName("orchestrator")).Spec.Replicas);
        Assert.Equal(2, chart.Named<k8s.Models.V1Deployment>(RenderedChart.FullName("shard")).Spec.Replicas);
        Assert.Equal(2, chart.Named<k8s.Models.V1Deployment>(RenderedChart.FullName("target")).Spec.Replicas);
        Assert.Equal(["evaluation.yaml", "pretraining.yaml"], chart.JobTemplates.Keys.Order());
    }

    [Fact]
    public async Task AnExternalBrokerAndStoreReplaceTheBundledOnes()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.External);

        Assert.Empty(chart.All<k8s.Models.V1StatefulSet>());
        Assert.Empty(chart.All<k8s.Models.V1Secret>());
        Assert.DoesNotContain(chart.All<k8s.Models.V1Service>(), service => service.Metadata.Name.Contains("rabbitmq", StringComparison.Ordinal)
                                                                            || service.Metadata.Name.Contains("minio", StringComparison.Ordinal));
    }
}
