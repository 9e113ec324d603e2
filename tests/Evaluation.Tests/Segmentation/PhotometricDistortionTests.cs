using SemanticMIM.Evaluation.Segmentation;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class PhotometricDistortionTests
{
    [Fact]
    public void HsvRoundTripsAndMatchesHandConvertedColours()
    {
        using var scope = torch.NewDisposeScope();
        var rgb = torch.rand(3, 6, 7, generator: new torch.Generator(1));
        var pixel = torch.tensor(new float[] { 0.8f, 0.4f, 0.2f }).reshape(3, 1, 1);

        Assert.True(PhotometricDistortion.FromHsv(PhotometricDistortion.ToHsv(rgb)).allclose(rgb, rtol: 0, atol: 1e-6));
        // Max 0.8 (red), chroma 0.6: hue (0.4 − 0.2)/0.6/6 = 1/18, saturation 0.75, value 0.8.
        var hsv = PhotometricDistortion.ToHsv(pixel).flatten().data<float>().ToArray();
        Assert.Equal(1 / 18.0, hsv[0], 6);
        Assert.Equal(0.75, hsv[1], 6);
        Assert.Equal(0.8, hsv[2], 6);
    }

    [Fact]
    public void AThirdOfATurnOfHueRotatesTheChannelsAndZeroSaturationLeavesTheMaximum()
    {
        using var scope = torch.NewDisposeScope();
        var rgb = torch.rand(3, 5, 5, generator: new torch.Generator(2));

        var shifted = PhotometricDistortion.ShiftHue(rgb, 1 / 3.0);
        var grey = PhotometricDistortion.ScaleSaturation(rgb, 0);

        Assert.True(shifted.allclose(torch.stack([rgb[2], rgb[0], rgb[1]]), rtol: 0, atol: 1e-5));
        Assert.True(grey.allclose(rgb.amax(0).expand(3, -1, -1), rtol: 0, atol: 1e-6));
        Assert.True(PhotometricDistortion.ScaleSaturation(rgb, 1).allclose(rgb, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void DrawsStayInTheRecipesRangesAndGreyImagesGetOnlyBrightnessAndContrast()
    {
        var recipe = UperNetRecipe.Paper;
        var random = new Random(7);
        var colourDraws = Enumerable.Range(0, 400).Select(_ => PhotometricDistortion.Draw(recipe, 3, random)).ToArray();
        var greyDraws = Enumerable.Range(0, 100).Select(_ => PhotometricDistortion.Draw(recipe, 1, random)).ToArray();

        Assert.All(colourDraws.Select(d => d.BrightnessDelta).OfType<double>(), b => Assert.InRange(b, -32 / 255.0, 32 / 255.0));
        Assert.All(colourDraws.Select(d => d.ContrastFactor).OfType<double>(), c => Assert.InRange(c, 0.5, 1.5));
        Assert.All(colourDraws.Select(d => d.SaturationFactor).OfType<double>(), s => Assert.InRange(s, 0.5, 1.5));
        Assert.All(colourDraws.Select(d => d.HueShift).OfType<int>(), h => Assert.InRange(h, -18, 17));
        // Each step happens about half the time.
        Assert.InRange(colourDraws.Count(d => d.HueShift is not null), 150, 250);
        Assert.InRange(colourDraws.Count(d => d.ContrastFactor is not null), 150, 250);
        Assert.All(greyDraws, d => Assert.Null(d.SaturationFactor));
        Assert.All(greyDraws, d => Assert.Null(d.HueShift));
        Assert.Contains(greyDraws, d => d.BrightnessDelta is not null);
    }

    [Fact]
    public void AppliesBrightnessThenContrastWithClipping()
    {
        using var scope = torch.NewDisposeScope();
        var grey = torch.tensor(new float[] { 0, 0.25f, 0.5f, 0.9f }).reshape(1, 2, 2);

        var contrastLast = PhotometricDistortion.Apply(grey, new PhotometricDraw(0.2, false, 1.5, null, null));
        var contrastFirst = PhotometricDistortion.Apply(grey, new PhotometricDraw(-0.1, true, 0.5, null, null));

        Assert.True(contrastLast.allclose(torch.tensor(new float[] { 0.3f, 0.675f, 1, 1 }).reshape(1, 2, 2), rtol: 0, atol: 1e-6));
        Assert.True(contrastFirst.allclose(torch.tensor(new float[] { 0, 0.075f, 0.2f, 0.4f }).reshape(1, 2, 2), rtol: 0, atol: 1e-6));
    }
}
