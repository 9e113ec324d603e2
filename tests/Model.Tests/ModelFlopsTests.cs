using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Model.Tests;

public sealed class ModelFlopsTests
{
    [Fact]
    public void ViTBaseAt224CostsThePublishedSeventeenPointSixGigaMultiplyAdds()
    {
        // The usual figure for ViT-B/16 at 224 (197 tokens, head excluded) is 17.6 GMACs, i.e. 35.1 GFLOPs.
        double flops = ModelFlops.Encoder(ModelPresets.Base);

        Assert.InRange(flops, 2 * 17.5e9, 2 * 17.65e9);
    }

    /// <summary>
    /// The matmul part is recounted from the built model's weight shapes (2 FLOPs per weight per token that goes
    /// through it), so a wrong token count per stack or a missing layer shows; attention's QKᵀ and AV are added by hand.
    /// </summary>
    [Theory]
    [InlineData(MimMethod.SemanticMim, TargetKind.TokenIds)]
    [InlineData(MimMethod.Baseline, TargetKind.Hog)]
    public void PretrainingForwardEqualsTheCountFromTheModelsWeightShapes(MimMethod method, TargetKind target)
    {
        var encoder = TestModels.Micro(proxies: method == MimMethod.SemanticMim ? 4 : 1);
        var config = new MimModelConfig { Encoder = encoder, Method = method, Target = target, VocabSize = 64 };
        using var model = new MimPretrainingModel(config);
        int masked = 10, visible = encoder.NumPatches - masked, proxies = encoder.NumProxies, d = encoder.EmbedDim;

        double expected = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (parameter.dim() < 2 || name.EndsWith("_token", StringComparison.Ordinal) || name.EndsWith("pos_embed", StringComparison.Ordinal))
            {
                continue;
            }
            bool keysAndValues = name.Contains(".kv_proj.", StringComparison.Ordinal);
            int tokens =
                name.StartsWith("backbone.patch_embed.", StringComparison.Ordinal) ? encoder.NumPatches
                : name.StartsWith("head.", StringComparison.Ordinal) ? masked
                : name.StartsWith("backbone.extra_layers.", StringComparison.Ordinal) ? (keysAndValues ? proxies + masked : masked)
                : method == MimMethod.SemanticMim ? proxies + visible
                : proxies + encoder.NumPatches;
            expected += 2.0 * tokens * parameter.numel();
        }
        double attention = method == MimMethod.SemanticMim
            ? encoder.Depth * 4.0 * d * ((proxies + visible) * (proxies + visible) + masked * (proxies + masked))
            : encoder.Depth * 4.0 * d * (proxies + encoder.NumPatches) * (proxies + encoder.NumPatches);

        Assert.Equal(expected + attention, ModelFlops.PretrainingForward(config, masked), 6);
        Assert.Equal(3 * ModelFlops.PretrainingForward(config, masked), ModelFlops.PretrainingStep(config, masked));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelFlops.PretrainingForward(config, encoder.NumPatches));
    }
}
