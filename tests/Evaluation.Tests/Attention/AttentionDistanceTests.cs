using SemanticMIM.Evaluation.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Attention;

public class AttentionDistanceTests
{
    private const int Proxies = 1;
    private const int Grid = 2;
    private const int Patch = 16;
    private const int Tokens = Proxies + Grid * Grid;

    // On a 2×2 grid with 16 px patches every patch is 0, 16, 16 and 16√2 px from the four patches.
    private static readonly double UniformDistance = (0 + 16 + 16 + 16 * Math.Sqrt(2)) / 4;

    /// <summary>Attention (1, heads, T, T) whose patch rows are given per head; proxy rows attend to the farthest patch.</summary>
    private static Tensor Attention(params Func<int, int, double>[] patchRowPerHead)
    {
        var values = new float[patchRowPerHead.Length * Tokens * Tokens];
        for (int h = 0; h < patchRowPerHead.Length; h++)
        {
            for (int i = 0; i < Tokens; i++)
            {
                for (int j = 0; j < Tokens; j++)
                {
                    // A proxy row that counted would add distance: it puts everything on the last patch.
                    double value = i < Proxies ? (j == Tokens - 1 ? 1 : 0) : patchRowPerHead[h](i - Proxies, j);
                    values[(h * Tokens + i) * Tokens + j] = (float)value;
                }
            }
        }
        return torch.tensor(values, [1, patchRowPerHead.Length, Tokens, Tokens]);
    }

    private static double[] Distances(Tensor attention)
    {
        var distance = new AttentionDistance(depth: 1, numHeads: (int)attention.shape[1], Proxies, Grid, Patch);
        distance.Add(0, attention);
        return distance.PerLayerHead()[0];
    }

    [Fact]
    public void AttendingOnlyToItselfIsDistanceZero()
    {
        using var attention = Attention((query, key) => key == Proxies + query ? 1 : 0);
        Assert.Equal(0, Distances(attention)[0], 9);
    }

    [Fact]
    public void UniformAttentionOverATwoByTwoGridIsTheMeanDistanceBetweenPatches()
    {
        using var attention = Attention((_, key) => key < Proxies ? 0 : 0.25);
        Assert.Equal(UniformDistance, Distances(attention)[0], 4);
    }

    [Fact]
    public void AttentionOnProxyColumnsAddsNothingAndIsNotRenormalisedAway()
    {
        // Half of every patch query's attention goes to the proxy: renormalising would give UniformDistance.
        using var attention = Attention((_, key) => key < Proxies ? 0.5 : 0.125);
        Assert.Equal(UniformDistance / 2, Distances(attention)[0], 4);
    }

    [Fact]
    public void EachHeadGetsItsOwnDistance()
    {
        using var attention = Attention((query, key) => key == Proxies + query ? 1 : 0, (_, key) => key < Proxies ? 0 : 0.25);
        var distances = Distances(attention);
        Assert.Equal(0, distances[0], 9);
        Assert.Equal(UniformDistance, distances[1], 4);
    }

    [Fact]
    public void PatchDistancesArePixelsBetweenPatchCentres()
    {
        using var distances = AttentionDistance.PatchDistances(gridSize: 3, patchSize: 4);
        Assert.Equal([9L, 9L], distances.shape);
        // Patches 0 = (0, 0), 1 = (0, 1), 3 = (1, 0), 8 = (2, 2).
        Assert.Equal(0, distances[4, 4].item<double>(), 9);
        Assert.Equal(4, distances[0, 1].item<double>(), 9);
        Assert.Equal(4 * Math.Sqrt(2), distances[1, 3].item<double>(), 9);
        Assert.Equal(8 * Math.Sqrt(2), distances[8, 0].item<double>(), 9);
        Assert.Equal(4 * Math.Sqrt(5), distances[0, 5].item<double>(), 9);
    }

    [Fact]
    public void AddingBatchesEqualsAddingAllImagesAtOnceAndAnExplicitSum()
    {
        const int images = 5, heads = 2, proxies = 2, grid = 3, patch = 4;
        int tokens = proxies + grid * grid;
        using var attention = torch.randn(images, heads, tokens, tokens, generator: new torch.Generator(3)).softmax(-1);

        var whole = new AttentionDistance(1, heads, proxies, grid, patch);
        whole.Add(0, attention);
        var batched = new AttentionDistance(1, heads, proxies, grid, patch);
        batched.Add(0, attention[..2]);
        batched.Add(0, attention[2..]);

        var values = attention.data<float>().ToArray();
        for (int h = 0; h < heads; h++)
        {
            double sum = 0;
            for (int b = 0; b < images; b++)
            {
                for (int i = 0; i < grid * grid; i++)
                {
                    for (int j = 0; j < grid * grid; j++)
                    {
                        double pixels = patch * Math.Sqrt(Math.Pow(i / grid - j / grid, 2) + Math.Pow(i % grid - j % grid, 2));
                        sum += values[((b * heads + h) * tokens + proxies + i) * tokens + proxies + j] * pixels;
                    }
                }
            }
            double expected = sum / (images * grid * grid);
            Assert.Equal(expected, whole.PerLayerHead()[0][h], 4);
            Assert.Equal(expected, batched.PerLayerHead()[0][h], 4);
        }
        Assert.Equal(images, batched.ImageCount(0));
    }

    [Fact]
    public void EncoderDistancesUseEveryLayersAttentionInEvalModeAndRestoreTrainingMode()
    {
        using var scope = torch.NewDisposeScope();
        // Drop path would make training-mode attention random from the second block on.
        using var encoder = TinyEncoders.Create(numProxies: 2, dropPathRate: 0.5);
        var config = encoder.Config;
        var images = torch.randn(5, 3, 16, 16, generator: new torch.Generator(5));
        encoder.train();

        var distances = AttentionDistance.Compute(encoder, ImageBatches.Of(images, 2));

        Assert.True(encoder.training);
        Assert.Equal(config.Depth, distances.Length);
        encoder.eval();
        using var noGrad = torch.no_grad();
        for (int layer = 0; layer < config.Depth; layer++)
        {
            var expected = new AttentionDistance(1, config.NumHeads, config.NumProxies, config.GridSize, config.PatchSize);
            expected.Add(0, encoder.AttentionMaps(images, layer));
            Assert.Equal(config.NumHeads, distances[layer].Length);
            for (int h = 0; h < config.NumHeads; h++)
            {
                Assert.Equal(expected.PerLayerHead()[0][h], distances[layer][h], 4);
            }
        }
    }
}
