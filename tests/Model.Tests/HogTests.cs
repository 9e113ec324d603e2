using SemanticMIM.Model.Targets;
using SemanticMIM.Model.Tests.Reference;
using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class HogTests
{
    private static float[,,,] ToArray(Tensor images)
    {
        var (b, c, h, w) = ((int)images.shape[0], (int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        var data = images.contiguous().data<float>().ToArray();
        var array = new float[b, c, h, w];
        Buffer.BlockCopy(data, 0, array, 0, data.Length * sizeof(float));
        return array;
    }

    private static Tensor FromArray(float[,,] values)
    {
        var flat = new float[values.Length];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(float));
        return torch.tensor(flat, [values.GetLength(0), values.GetLength(1), values.GetLength(2)]);
    }

    [Theory]
    [InlineData(2, 3, 32, 32, 4, 2, 4)]      // tiny RGB: 16×16 cells, 108 dims
    [InlineData(2, 1, 28, 28, 4, 2, 0)]      // Fashion-MNIST, no window (28 is no multiple of 8)
    [InlineData(1, 3, 64, 48, 16, 8, 16)]    // ImageNet settings on a non-square image
    [InlineData(1, 3, 32, 32, 8, 4, 8)]
    public void MatchesThePlainLoopComputation(int batch, int channels, int height, int width, int patch, int cell, int window)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(11);
        var images = torch.randn([batch, channels, height, width], generator: generator);
        var config = new HogConfig { PatchSize = patch, CellSize = cell, GaussianWindow = window };

        var actual = new HogTargetGenerator(config).Compute(images);
        var expected = FromArray(HogLoopReference.Compute(ToArray(images), 9, cell, window, patch));

        TensorAssert.Shape(actual, batch, (height / patch) * (width / patch), config.FeatureDim(channels));
        TensorAssert.RelativelyClose(expected, actual, 1e-5, "HOG");
    }

    [Theory]
    [InlineData("vertical", 4)]      // left dark, right bright: gx < 0, gy = 0, phase −4.5 → bin 4
    [InlineData("horizontal", 0)]    // top dark, bottom bright: gx = 0, gy < 0, phase 9 → bin 0
    [InlineData("diagonal", 2)]      // brightness x + y: gx = gy = −8, atan2 = −3π/4, phase −6.75 → bin 2
    [InlineData("antidiagonal", 6)]  // brightness x − y: gx = −8, gy = 8, atan2 = −π/4, phase −2.25 → bin 6
    public void AnEdgeOfKnownOrientationLandsInItsBin(string pattern, int expectedBin)
    {
        using var scope = torch.NewDisposeScope();
        const int size = 32;
        var pixels = new float[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                pixels[y * size + x] = pattern switch
                {
                    "vertical" => x >= size / 2 ? 1 : 0,
                    "horizontal" => y >= size / 2 ? 1 : 0,
                    "diagonal" => x + y,
                    _ => x - y,
                };
            }
        }
        var images = torch.tensor(pixels, [1, 1, size, size]);
        var config = new HogConfig { PatchSize = 8, CellSize = 4, GaussianWindow = 0 };

        // (4×4 patches, 9 bins, 2×2 cells); the inner 2×2 patches are clear of the reflect-padded border.
        var features = new HogTargetGenerator(config).Compute(images).view(4, 4, 9, 4);
        var energyPerBin = features[1..3, 1..3].sum([0, 1, 3]);

        Assert.Equal(expectedBin, (int)energyPerBin.argmax().item<long>());
        Assert.True(energyPerBin[expectedBin].item<float>() > 0.999 * energyPerBin.sum().item<float>(),
            $"{pattern}: energy per bin {string.Join(", ", energyPerBin.data<float>().ToArray())}");
    }

    [Fact]
    public void CellsAreUnitNormalisedAndFlatImagesGiveZeros()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new HogTargetGenerator(HogConfig.ForPatch(4));
        var random = torch.rand(2, 3, 32, 32);

        var features = generator.Compute(random).view(2, 64, 3, 9, 2, 2);
        var norms = features.square().sum(3).sqrt();

        TensorAssert.RelativelyClose(torch.ones_like(norms), norms, 1e-5, "per-cell L2 norm");
        Assert.Equal(0f, generator.Compute(torch.full(1, 3, 32, 32, 0.3f)).abs().max().item<float>());
    }

    [Fact]
    public void RejectsSizesThatDoNotTile()
    {
        var generator = new HogTargetGenerator(new HogConfig());
        using var images = torch.rand(1, 3, 40, 40);

        var error = Assert.Throws<ArgumentException>(() => { generator.Compute(images).Dispose(); });

        Assert.Contains("multiple of the patch", error.Message);
        Assert.Throws<ArgumentException>(() => new HogTargetGenerator(new HogConfig { PatchSize = 16, CellSize = 5 }));
    }
}
