using SemanticMIM.Evaluation.Segmentation;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class UperNetLayerDecayTests
{
    [Fact]
    public void ScalesADepthFourModelByPowersOfTheRateFromTheHeadsDown()
    {
        using var encoder = SegmentationEncoders.Create();
        using var segmenter = new UperNetSegmenter(encoder, 3, SegmentationEncoders.Recipe(), seed: 0);
        var expected = new Dictionary<string, double>
        {
            ["backbone.cls_token"] = 0.59049,
            ["backbone.pos_embed"] = 0.59049,
            ["backbone.patch_embed.projection.weight"] = 0.59049,
            ["backbone.patch_embed.projection.bias"] = 0.59049,
            ["backbone.layers.0.attn.proj.weight"] = 0.6561,
            ["backbone.layers.1.ln1.weight"] = 0.729,
            ["backbone.layers.2.ffn.layers.1.bias"] = 0.81,
            ["backbone.layers.3.gamma_2"] = 0.9,
            ["neck.fpn1.0.weight"] = 1,
            ["decode_head.conv_seg.weight"] = 1,
            ["auxiliary_head.convs.0.bn.bias"] = 1,
        };

        var groups = LayerDecay.Groups(segmenter, SegmentationEncoders.Depth, 0.9, weightDecay: 0.05);

        var scaleOf = groups.SelectMany(g => g.Parameters.Select(p => (p.Name, g.LearningRateScale)))
            .ToDictionary(p => p.Name, p => p.LearningRateScale);
        Assert.Equal(segmenter.parameters().Count(), scaleOf.Count);
        foreach (var (name, scale) in expected)
        {
            Assert.Equal(scale, scaleOf[name], 12);
        }
        Assert.Equal([0, 1, 2, 3, 4, 5], groups.Select(g => g.LayerId).Distinct().Order());
    }

    [Fact]
    public void ExemptsOneDimensionalParametersBiasesAndTheEmbeddingsFromWeightDecay()
    {
        using var encoder = SegmentationEncoders.Create(numProxies: 8);
        using var segmenter = new UperNetSegmenter(encoder, 3, SegmentationEncoders.Recipe(), seed: 0);

        var groups = LayerDecay.Groups(segmenter, SegmentationEncoders.Depth, 0.9, weightDecay: 0.05);

        var exempt = groups.Where(g => g.WeightDecay == 0).SelectMany(g => g.Parameters.Select(p => p.Name)).ToHashSet();
        var expected = segmenter.named_parameters()
            .Where(p => p.parameter.dim() == 1 || p.name.EndsWith(".bias", StringComparison.Ordinal)
                || p.name is "backbone.pos_embed" or "backbone.cls_token")
            .Select(p => p.name)
            .ToHashSet();
        Assert.Equal(expected, exempt);
        Assert.Contains("backbone.layers.0.gamma_1", exempt);
        Assert.Contains("backbone.layers.0.attn.q_bias", exempt);
        Assert.Contains("neck.fpn1.1.weight", exempt);
        Assert.DoesNotContain("backbone.patch_embed.projection.weight", exempt);
        Assert.DoesNotContain("decode_head.fpn_bottleneck.conv.weight", exempt);
    }

    [Theory]
    [InlineData("backbone.layers.11.ffn.layers.0.weight", 12)]
    [InlineData("backbone.layers.0.ln2.bias", 1)]
    [InlineData("backbone.pos_embed", 0)]
    [InlineData("backbone.patch_embed.projection.weight", 0)]
    [InlineData("decode_head.bottleneck.conv.weight", 13)]
    public void IdentifiesLayersOfAViTBaseAndScalesThemByRateToTheThirteenMinusId(string name, int layerId)
    {
        Assert.Equal(layerId, LayerDecay.LayerId(name, 12));
        Assert.Equal(Math.Pow(0.9, 13 - layerId), LayerDecay.Scale(name, 12, 0.9), 12);
    }
}
