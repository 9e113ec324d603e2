using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests;

public class SegmentationViewsTests
{
    [Fact]
    public void ImageAndLabelGetTheSameCropAndFlip()
    {
        using var scope = torch.NewDisposeScope();
        // Left half class 1 (image value 1), right half class 2 (image value 2): a flip or a crop moves both alike.
        var labels = torch.ones(8, 32, 32, dtype: ScalarType.Byte);
        labels[.., .., 16..] = 2;
        var images = labels.to(ScalarType.Float32).unsqueeze(1);
        using var generator = new torch.Generator(3);

        var (viewImages, viewLabels) = SegmentationViews.RandomResizedCrop(images, labels, 20, 0.8, generator);

        Assert.Equal(new long[] { 8, 1, 20, 20 }, viewImages.shape);
        Assert.Equal(new long[] { 8, 20, 20 }, viewLabels.shape);
        Assert.Equal(ScalarType.Byte, viewLabels.dtype);
        // Away from the class border, bilinear image values equal the nearest labels.
        var interior = viewImages[.., 0].sub(viewLabels.to(ScalarType.Float32)).abs().lt(1e-5);
        Assert.True(interior.to(ScalarType.Float32).mean().item<float>() > 0.85);
        var firstColumn = viewLabels[.., .., 0].to(ScalarType.Int64);
        Assert.True(firstColumn.eq(1).any().item<bool>() && firstColumn.eq(2).any().item<bool>(), "some views should be flipped, some not");
    }

    [Fact]
    public void TheSameSeedGivesTheSameViews()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(4, 3, 24, 24, generator: new torch.Generator(5));
        var labels = torch.randint(3, [4, 24, 24], generator: new torch.Generator(6)).to(ScalarType.Byte);

        var first = SegmentationViews.RandomResizedCrop(images, labels, 16, 0.8, new torch.Generator(9));
        var second = SegmentationViews.RandomResizedCrop(images, labels, 16, 0.8, new torch.Generator(9));

        Assert.True(first.Images.equal(second.Images).all().item<bool>());
        Assert.True(first.Labels.equal(second.Labels).all().item<bool>());
    }
}
