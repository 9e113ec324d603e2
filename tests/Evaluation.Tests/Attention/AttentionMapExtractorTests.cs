using SemanticMIM.Evaluation.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Attention;

public class AttentionMapExtractorTests
{
    private const int Batch = 2, Heads = 2, Proxies = 2, Grid = 2;
    private const int Tokens = Proxies + Grid * Grid;

    // Distinct values everywhere, so a wrong slice or head shows.
    private static float Value(int b, int h, int i, int j) => 1000 * b + 100 * h + 10 * i + j;

    private static Tensor HandMade()
    {
        var values = new float[Batch * Heads * Tokens * Tokens];
        for (int b = 0; b < Batch; b++)
            for (int h = 0; h < Heads; h++)
                for (int i = 0; i < Tokens; i++)
                    for (int j = 0; j < Tokens; j++)
                        values[((b * Heads + h) * Tokens + i) * Tokens + j] = Value(b, h, i, j);
        return torch.tensor(values, [Batch, Heads, Tokens, Tokens]);
    }

    private static float HeadMean(int b, int row, int column) =>
        (Value(b, 0, row, column) + Value(b, 1, row, column)) / 2;

    [Fact]
    public void ProxyMapsAreTheProxyRowsOverPatchColumnsAveragedOverHeadsOnTheGrid()
    {
        using var attention = HandMade();
        using var maps = AttentionMapExtractor.ProxyMaps(attention, Proxies, Grid);
        Assert.Equal([(long)Batch, Proxies, Grid, Grid], maps.shape);
        for (int b = 0; b < Batch; b++)
            for (int p = 0; p < Proxies; p++)
                for (int n = 0; n < Grid * Grid; n++)
                    Assert.Equal(HeadMean(b, p, Proxies + n), maps[b, p, n / Grid, n % Grid].item<float>());
    }

    [Fact]
    public void QueryMapsAreTheQueryPatchRowsOverPatchColumnsAveragedOverHeads()
    {
        using var attention = HandMade();
        int[] queries = [3, 0];
        using var maps = AttentionMapExtractor.QueryMaps(attention, Proxies, Grid, queries);
        Assert.Equal([(long)Batch, queries.Length, Grid, Grid], maps.shape);
        for (int b = 0; b < Batch; b++)
            for (int q = 0; q < queries.Length; q++)
                for (int n = 0; n < Grid * Grid; n++)
                    Assert.Equal(HeadMean(b, Proxies + queries[q], Proxies + n), maps[b, q, n / Grid, n % Grid].item<float>());
    }

    [Fact]
    public void QueriesOutsideTheGridAreRejected()
    {
        using var attention = HandMade();
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionMapExtractor.QueryMaps(attention, Proxies, Grid, [4]));
    }

    [Fact]
    public void SubtractingTheProxyMeanRemovesTheMapAveragedOverProxies()
    {
        using var attention = HandMade();
        using var maps = AttentionMapExtractor.ProxyMaps(attention, Proxies, Grid);
        using var subtracted = AttentionMapExtractor.SubtractProxyMean(maps);
        for (int b = 0; b < Batch; b++)
            for (int n = 0; n < Grid * Grid; n++)
            {
                float mean = (HeadMean(b, 0, Proxies + n) + HeadMean(b, 1, Proxies + n)) / 2;
                for (int p = 0; p < Proxies; p++)
                    Assert.Equal(HeadMean(b, p, Proxies + n) - mean, subtracted[b, p, n / Grid, n % Grid].item<float>(), 3);
            }
    }

    [Fact]
    public void NearestUpsamplingRepeatsEachCellOverItsPatch()
    {
        using var maps = torch.arange(2 * 3 * 2 * 2, ScalarType.Float32).reshape(2, 3, 2, 2);
        using var pixels = AttentionMapExtractor.UpsampleToPixels(maps, patchSize: 4);
        Assert.Equal([2L, 3, 8, 8], pixels.shape);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                Assert.Equal(maps[1, 2, y / 4, x / 4].item<float>(), pixels[1, 2, y, x].item<float>());
    }

    [Fact]
    public void ExtractSlicesTheEncodersAttentionInEvalModeAndRestoresTrainingMode()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 3, dropPathRate: 0.5);
        var images = torch.randn(2, 3, 16, 16, generator: new torch.Generator(11));
        encoder.train();
        int[] queries = [5, 15];

        using var maps = AttentionMapExtractor.Extract(encoder, images, layerIndex: 2, queries, subtractProxyMean: true);

        Assert.True(encoder.training);
        Assert.Equal(4, maps.GridSize);
        Assert.Equal(4, maps.PatchSize);
        encoder.eval();
        using var noGrad = torch.no_grad();
        var attention = encoder.AttentionMaps(images, 2);
        var proxies = attention[.., .., ..3, 3..].mean([1]).reshape(2, 3, 4, 4);
        var expectedProxies = proxies - proxies.mean([1], keepdim: true);
        var expectedQueries = torch.stack([attention[.., .., 3 + 5, 3..], attention[.., .., 3 + 15, 3..]], 2).mean([1]).reshape(2, 2, 4, 4);
        Assert.True(maps.Proxies.allclose(expectedProxies, rtol: 1e-4, atol: 1e-6));
        Assert.True(maps.Queries.allclose(expectedQueries, rtol: 1e-4, atol: 1e-6));
    }
}
