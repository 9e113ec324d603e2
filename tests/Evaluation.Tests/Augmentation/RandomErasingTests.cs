using SemanticMIM.Evaluation.Augmentation;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Augmentation;

public class RandomErasingTests
{
    [Fact]
    public void ProbabilityZeroLeavesTheImagesUntouched()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.randn(6, 1, 16, 16, generator: new torch.Generator(1));

        var result = new RandomErasing(probability: 0).Apply(images, new torch.Generator(2));

        Assert.True(TensorEquality.Identical(result, images));
    }

    [Fact]
    public void ErasesOneRectangleOfNoisePerImageWithinTheAreaBounds()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.full(20, 2, 16, 16, 100f);

        var result = new RandomErasing(probability: 1).Apply(images, new torch.Generator(3));

        int erased = 0;
        for (int i = 0; i < 20; i++)
        {
            var changed = result[i].ne(100).any(0);
            long area = changed.sum().item<long>();
            if (area == 0)
            {
                continue;
            }
            erased++;
            var rows = changed.any(1).nonzero().flatten();
            var columns = changed.any(0).nonzero().flatten();
            long height = rows[-1].item<long>() - rows[0].item<long>() + 1;
            long width = columns[-1].item<long>() - columns[0].item<long>() + 1;
            Assert.Equal(height * width, area);
            Assert.True(height < 16 && width < 16);
            // round() of the sides moves the area a little off [0.02, 1/3] of 256 pixels.
            Assert.InRange(area, 2, 100);
            var noise = result[i].masked_select(changed.unsqueeze(0).expand(2, 16, 16));
            Assert.True(noise.abs().max().item<float>() < 10);
        }
        Assert.True(erased >= 15, $"only {erased} of 20 images erased");
    }

    [Fact]
    public void SameSeedErasesTheSamePixels()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(8, 1, 12, 12);
        var erasing = new RandomErasing();

        Assert.True(TensorEquality.Identical(erasing.Apply(images, new torch.Generator(4)), erasing.Apply(images, new torch.Generator(4))));
    }
}
