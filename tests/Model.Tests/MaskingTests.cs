using SemanticMIM.Model.Masking;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class MaskingTests
{
    [Theory]
    [InlineData(14, 0.6, 118)]  // ViT-B/16 at 224
    [InlineData(14, 0.4, 79)]
    [InlineData(8, 0.6, 39)]    // 32×32, patch 4
    [InlineData(8, 0.4, 26)]
    [InlineData(7, 0.6, 30)]    // 28×28, patch 4
    [InlineData(7, 0.8, 40)]
    public void RandomMaskingMasksExactlyCeilNR(int grid, double ratio, int expected)
    {
        using var generator = new Generator(0);
        using var mask = new RandomPatchMasker(grid, ratio).Generate(16, generator);

        Assert.Equal(expected, MaskGenerator.CountFor(grid * grid, ratio));
        using var counts = mask.sum(1);
        Assert.All(counts.data<long>().ToArray(), c => Assert.Equal(expected, c));
    }

    [Fact]
    public void RandomMasksAreReproducibleFromTheSeedAndDifferAcrossSeedsAndRows()
    {
        var masker = new RandomPatchMasker(8, 0.6);
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);

        using var a = masker.Generate(4, g1);
        using var b = masker.Generate(4, g2);
        using var c = masker.Generate(4, g3);

        Assert.True(a.equal(b).all().item<bool>());
        Assert.False(a.equal(c).all().item<bool>());
        Assert.False(a[0].equal(a[1]).all().item<bool>());
    }

    [Fact]
    public void RandomMaskingIsUniformOverPositions()
    {
        using var generator = new Generator(7);
        using var mask = new RandomPatchMasker(8, 0.5).Generate(4000, generator);

        using var frequency = mask.to(ScalarType.Float32).mean([0]);

        Assert.InRange(frequency.min().item<float>(), 0.45f, 0.5f);
        Assert.InRange(frequency.max().item<float>(), 0.5f, 0.55f);
    }

    [Fact]
    public void BlockwiseMaskingHitsTheCountWithContiguousBlocks()
    {
        var masker = new BlockwiseMasker(14, 75);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);

        using var mask = masker.Generate(8, g1);
        using var again = masker.Generate(8, g2);

        using var counts = mask.sum(1);
        Assert.All(counts.data<long>().ToArray(), c => Assert.Equal(75, c));
        Assert.True(mask.equal(again).all().item<bool>());
        // Blocks, not scattered patches: most masked patches have a masked 4-neighbour.
        var grid = mask[0].view(14, 14).data<bool>().ToArray();
        int masked = 0, withNeighbour = 0;
        for (int y = 0; y < 14; y++)
        {
            for (int x = 0; x < 14; x++)
            {
                if (!grid[y * 14 + x])
                {
                    continue;
                }
                masked++;
                bool neighbour = (y > 0 && grid[(y - 1) * 14 + x]) || (y < 13 && grid[(y + 1) * 14 + x])
                    || (x > 0 && grid[y * 14 + x - 1]) || (x < 13 && grid[y * 14 + x + 1]);
                withNeighbour += neighbour ? 1 : 0;
            }
        }
        Assert.True(withNeighbour > 0.9 * masked, $"{withNeighbour} of {masked} masked patches touch another");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.2)]
    public void RejectsRatiosOutsideTheOpenUnitInterval(double ratio) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomPatchMasker(8, ratio));

    [Fact]
    public void MaskIndicesListVisibleAndMaskedPositionsAscending()
    {
        using var mask = torch.tensor(new[] { true, false, true, false, true, true }, [2, 3]);

        using var positions = MaskPositions.Of(mask);
        var visible = positions.Visible;
        var maskedPositions = positions.Masked;

        Assert.Equal(new long[] { 1, 0 }, visible.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 2, 1, 2 }, maskedPositions.data<long>().ToArray());
    }
}
