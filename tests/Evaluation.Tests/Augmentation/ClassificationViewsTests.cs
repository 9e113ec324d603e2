using SemanticMIM.Evaluation.Augmentation;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Augmentation;

public class ClassificationViewsTests
{
    [Fact]
    public void TrainViewHasTheRequestedSizeAndStaysInTheUnitRange()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(5, 1, 20, 16, generator: new torch.Generator(1));

        var views = new ClassificationViews().Train(images, 8, new torch.Generator(2));

        Assert.Equal([5L, 1L, 8L, 8L], views.shape);
        Assert.True(views.min().item<float>() >= 0);
        Assert.True(views.max().item<float>() <= 1);
    }

    [Fact]
    public void WholeSquareCropWithoutFlipIsTheIdentity()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(3, 2, 12, 12, generator: new torch.Generator(3));
        var views = new ClassificationViews(minScale: 1, maxScale: 1, minRatio: 1, maxRatio: 1, horizontalFlip: false);

        var trained = views.Train(images, 12, new torch.Generator(4));

        Assert.True(trained.allclose(images, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void FlipMirrorsAboutHalfOfTheImages()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.rand(1, 1, 6, 6, generator: new torch.Generator(5));
        var images = image.expand(40, 1, 6, 6);
        var views = new ClassificationViews(minScale: 1, maxScale: 1, minRatio: 1, maxRatio: 1);

        var trained = views.Train(images, 6, new torch.Generator(6));

        int kept = 0;
        int mirrored = 0;
        for (int i = 0; i < 40; i++)
        {
            kept += trained[i].allclose(image[0], rtol: 0, atol: 1e-6) ? 1 : 0;
            mirrored += trained[i].allclose(image[0].flip(-1), rtol: 0, atol: 1e-6) ? 1 : 0;
        }
        Assert.Equal(40, kept + mirrored);
        Assert.InRange(mirrored, 10, 30);
    }

    [Fact]
    public void CropsLieInsideTheImageWithTheirAreaAndRatioInRange()
    {
        var views = new ClassificationViews(minScale: 0.25, maxScale: 0.5, minRatio: 1, maxRatio: 1);
        var generator = new torch.Generator(7);
        for (int draw = 0; draw < 50; draw++)
        {
            var box = views.SampleCrop(16, 16, generator);

            Assert.Equal(box.Height, box.Width);
            // Side round(√area) with area in [64, 128) pixels.
            Assert.InRange(box.Height, 8, 11);
            Assert.InRange(box.Top, 0, 16 - box.Height);
            Assert.InRange(box.Left, 0, 16 - box.Width);
        }
    }

    [Fact]
    public void FallsBackToTheCentredCropOfTheNearestRatio()
    {
        // Every attempt asks for more than the full width, so the fallback takes ratio 2: 16 wide, 8 high, centred.
        var views = new ClassificationViews(minScale: 1, maxScale: 1, minRatio: 2, maxRatio: 3);

        var box = views.SampleCrop(16, 16, new torch.Generator(8));

        Assert.Equal(new CropBox(4, 0, 8, 16), box);
    }

    [Fact]
    public void TestViewResizesTheShorterSideThenCropsTheCentre()
    {
        using var scope = torch.NewDisposeScope();
        // Size 7 resizes the shorter side to round(7·256/224) = 8: these images keep their size.
        var square = torch.rand(2, 1, 8, 8, generator: new torch.Generator(9));
        var wide = torch.rand(2, 3, 8, 10, generator: new torch.Generator(10));

        var squareView = ClassificationViews.Test(square, 7);
        var wideView = ClassificationViews.Test(wide, 7);

        Assert.Equal(256, ClassificationViews.TestResizeSize(224));
        // Offsets round(0.5) = 0 and round(1.5) = 2, rounding half to even as Python does.
        Assert.True(squareView.allclose(square[.., .., 0..7, 0..7], rtol: 0, atol: 1e-6));
        Assert.True(wideView.allclose(wide[.., .., 0..7, 2..9], rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void TestViewOfALargerImageHasTheRequestedSize()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(2, 1, 30, 20, generator: new torch.Generator(11));

        var view = ClassificationViews.Test(images, 8);

        Assert.Equal([2L, 1L, 8L, 8L], view.shape);
        Assert.True(view.min().item<float>() >= 0 && view.max().item<float>() <= 1);
    }

    [Fact]
    public void NormaliseSubtractsTheMeanAndDividesByTheStdPerChannel()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.tensor(new float[] { 0.5f, 0.25f, 1f }).view(1, 3, 1, 1);

        var normalised = ImageNormalization.Normalize(images, [0.5f, 0.5f, 0.2f], [0.25f, 0.5f, 0.4f]);

        Assert.True(normalised.allclose(torch.tensor(new float[] { 0, -0.5f, 2 }).view(1, 3, 1, 1), atol: 1e-6));
        Assert.Throws<ArgumentException>(() => ImageNormalization.Normalize(images, [0.5f], [0.25f]));
    }
}
