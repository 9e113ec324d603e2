using SemanticMIM.Evaluation.Attention;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Attention;

public class AttentionStatisticsTests
{
    [Fact]
    public void StatisticsAverageTheChosenLayersProxyMapsAndMeasureEveryLayer()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 2);
        var images = torch.randn(5, 3, 16, 16, generator: new torch.Generator(4));
        var statistics = new AttentionStatistics(encoder, layerIndex: 1, subtractProxyMean: true);
        foreach (var batch in ImageBatches.Of(images, 2))
        {
            statistics.Add(batch);
        }

        encoder.eval();
        using var noGrad = torch.no_grad();
        var proxies = encoder.AttentionMaps(images, 1)[.., .., ..2, 2..].mean([1]).reshape(5, 2, 4, 4);
        var expected = (proxies - proxies.mean([1], keepdim: true)).mean([0]);
        Assert.True(statistics.ProxyMaps.Mean().allclose(expected, rtol: 1e-4, atol: 1e-6));
        Assert.Equal(5, statistics.ProxyMaps.ImageCount);
        var distances = AttentionDistance.Compute(encoder, [images]);
        Assert.Equal(distances.Length, statistics.Distance.PerLayerHead().Length);
        for (int layer = 0; layer < distances.Length; layer++)
        {
            Assert.Equal(distances[layer], statistics.Distance.PerLayerHead()[layer], (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }
}
