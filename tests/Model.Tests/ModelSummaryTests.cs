using SemanticMIM.Planning.Configs;
namespace SemanticMIM.Model.Tests;

public sealed class ModelSummaryTests
{
    // Per BEiT block at D 768, MLP 3072: two LayerNorms 2·1536, q_proj 768², kv_proj 2·768², q/v bias 2·768,
    // proj 768² + 768, fc1 768·3072 + 3072, fc2 3072·768 + 768, γ1/γ2 2·768 = 7,088,640.
    private const long BeitBlock = 2 * 1536 + 589_824 + 1_179_648 + 1536 + 590_592 + 2_362_368 + 2_360_064 + 1536;

    [Fact]
    public void ViTBaseHasTheHandCountedParameters()
    {
        using var vit = new VisionTransformer(ModelPresets.Base);

        long patchEmbed = 768 * 3 * 16 * 16 + 768, cls = 768, pos = 197 * 768;

        Assert.Equal(7_088_640, BeitBlock);
        Assert.Equal(patchEmbed + cls + pos + 12 * BeitBlock, ModelSummary.CountParameters(vit));
    }

    [Fact]
    public void SummaryShowsTheTokenBookkeepingAndWhatIsKept()
    {
        using var model = new MimPretrainingModel(new MimModelConfig { Encoder = ModelPresets.Tiny with { NumProxies = 8 }, Target = TargetKind.Hog });

        string text = ModelSummary.Describe(model, 0.6);

        Assert.Contains("MaskFeat + SemanticMIM", text);
        Assert.Contains("39 masked, 25 visible", text);
        Assert.Contains("KV (B, 47, 192)", text);
        long kept = ModelSummary.CountEncoderParameters(model);
        using var plain = new VisionTransformer(model.Config.Encoder);
        Assert.Equal(ModelSummary.CountParameters(plain), kept);
        Assert.Contains($"{kept:N0}", text);
    }

    public static TheoryData<MimMethod, TargetKind, BlockFlavour, int> Shapes() => new()
    {
        { MimMethod.SemanticMim, TargetKind.Hog, BlockFlavour.MaskFeat, 8 },
        { MimMethod.SemanticMim, TargetKind.TokenIds, BlockFlavour.Beit, 4 },
        { MimMethod.Baseline, TargetKind.Hog, BlockFlavour.MaskFeat, 1 },
        { MimMethod.Baseline, TargetKind.TokenIds, BlockFlavour.Beit, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_planner_counts_the_parameters_of_the_built_model_without_building_it(MimMethod method, TargetKind target, BlockFlavour flavour, int proxies)
    {
        var config = new MimModelConfig
        {
            Encoder = ModelPresets.Tiny with { ImageSize = 28, PatchSize = 4, InChannels = 1, EmbedDim = 48, NumHeads = 3, MlpDim = 96, Depth = 3, NumProxies = proxies, Flavour = flavour },
            Method = method,
            Target = target,
            VocabSize = 64,
        };
        using var model = new MimPretrainingModel(config);

        Assert.Equal(ModelSummary.CountParameters(model), ModelSize.Parameters(config));
    }
}
