using SemanticMIM.Evaluation.Attention;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Attention;

public class ProxyMapAverageTests
{
    [Fact]
    public void AveragingBatchByBatchEqualsAveragingAllImagesAtOnce()
    {
        using var maps = torch.rand(7, 3, 4, 4, generator: new torch.Generator(2));
        var average = new ProxyMapAverage(numProxies: 3, gridSize: 4);
        average.Add(maps[..2]);
        average.Add(maps[2..3]);
        average.Add(maps[3..]);

        using var mean = average.Mean();
        using var expected = maps.mean([0]);
        Assert.Equal(7, average.ImageCount);
        Assert.True(mean.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void MapsOfAnotherShapeAreRejected()
    {
        using var maps = torch.rand(2, 3, 5, 5);
        var average = new ProxyMapAverage(numProxies: 3, gridSize: 4);
        Assert.Throws<ArgumentException>(() => average.Add(maps));
        Assert.Throws<InvalidOperationException>(() => average.Mean());
    }
}
