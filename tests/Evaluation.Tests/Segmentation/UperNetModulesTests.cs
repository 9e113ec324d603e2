using SemanticMIM.Evaluation.Segmentation;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class UperNetModulesTests
{
    [Fact]
    public void NeckScalesThePatchGridByFourTwoOneAndAHalf()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(1);
        using var neck = new FeaturePyramidNeck(32, generator);
        var maps = Enumerable.Range(0, 4).Select(_ => torch.randn(2, 32, 8, 8, generator: generator)).ToArray();

        var levels = neck.forward(maps);

        // A 128² image at patch 16 has an 8×8 grid: strides 4, 8, 16 and 32 give 32², 16², 8² and 4².
        Assert.Equal([[2L, 32, 32, 32], [2L, 32, 16, 16], [2L, 32, 8, 8], [2L, 32, 4, 4]], levels.Select(l => l.shape));
        Assert.True(levels[2].allclose(maps[2], rtol: 0, atol: 0));
        var pooled = maps[3].unfold(2, 2, 2).unfold(3, 2, 2).amax([4, 5]);
        Assert.True(levels[3].allclose(pooled, rtol: 0, atol: 0));
    }

    [Fact]
    public void UperHeadGivesLogitsAtTheFinestLevelAndTheAuxiliaryHeadAtItsOwn()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(2);
        using var head = new UperHead([32, 32, 32, 32], 16, 5, [1, 2, 3, 6], 0.1, generator);
        using var auxiliary = new FcnAuxiliaryHead(32, 8, 5, 0.1, generator);
        head.eval();
        long[] sizes = [24, 12, 6, 3];
        var levels = sizes.Select(s => torch.randn(2, 32, s, s, generator: generator)).ToArray();

        Assert.Equal([2L, 5, 24, 24], head.forward(levels).shape);
        Assert.Equal([2L, 5, 6, 6], auxiliary.forward(levels[2]).shape);
    }

    [Fact]
    public void SegmenterUpsamplesBothHeadsToTheInputAndUsesTheReferenceNames()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = SegmentationEncoders.Create(numProxies: 8);
        using var segmenter = new UperNetSegmenter(encoder, 3, SegmentationEncoders.Recipe(), seed: 3);
        segmenter.eval();

        var (main, auxiliary) = segmenter.forward(torch.rand(2, 3, 32, 32));

        Assert.Equal([2L, 3, 32, 32], main.shape);
        Assert.Equal([2L, 3, 32, 32], auxiliary.shape);
        Assert.Equal([0, 1, 2, 3], segmenter.Taps);
        var names = segmenter.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Subset(names, new HashSet<string>
        {
            "backbone.pos_embed", "backbone.layers.3.attn.proj.weight",
            "neck.fpn1.0.weight", "neck.fpn1.1.weight", "neck.fpn1.3.weight", "neck.fpn2.0.weight",
            "decode_head.psp_modules.3.1.conv.weight", "decode_head.psp_modules.0.1.bn.weight",
            "decode_head.bottleneck.conv.weight", "decode_head.lateral_convs.2.conv.weight",
            "decode_head.fpn_convs.0.conv.weight", "decode_head.fpn_bottleneck.bn.bias",
            "decode_head.conv_seg.weight", "auxiliary_head.convs.0.conv.weight", "auxiliary_head.conv_seg.bias",
        });
        Assert.Equal([1L, 8 + 64, 32], segmenter.named_parameters().Single(p => p.name == "backbone.pos_embed").parameter.shape);
    }

    [Fact]
    public void WindowLogitsOfAFullCropEqualTheMainHeadAndPaddedWindowsKeepTheirSize()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = SegmentationEncoders.Create();
        using var segmenter = new UperNetSegmenter(encoder, 3, SegmentationEncoders.Recipe(), seed: 4);
        segmenter.eval();
        using var noGrad = torch.no_grad();
        var images = torch.rand(1, 3, 32, 32);

        Assert.True(segmenter.WindowLogits(images).allclose(segmenter.forward(images).Main, rtol: 0, atol: 1e-6));
        Assert.Equal([1L, 3, 20, 28], segmenter.WindowLogits(images[.., .., ..20, ..28]).shape);
    }

    [Theory]
    [InlineData(12, new[] { 3, 5, 7, 11 })]
    [InlineData(4, new[] { 0, 1, 2, 3 })]
    [InlineData(6, new[] { 1, 2, 3, 5 })]
    [InlineData(24, new[] { 7, 11, 15, 23 })]
    [InlineData(1, new[] { 0, 0, 0, 0 })]
    public void TapsSitAtAThirdAHalfTwoThirdsAndTheEndOfTheDepth(int depth, int[] taps) =>
        Assert.Equal(taps, UperNetSegmenter.DefaultTaps(depth));

    [Fact]
    public void RejectsACropThatIsNotAMultipleOfThePatch()
    {
        using var encoder = SegmentationEncoders.Create();
        var error = Assert.Throws<ArgumentException>(() => new UperNetSegmenter(encoder, 3, SegmentationEncoders.Recipe(crop: 30), seed: 0));
        Assert.Contains("CropSize 30", error.Message);
    }
}
