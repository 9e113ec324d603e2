using SemanticMIM.Model;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Training.Tests.Support;

namespace SemanticMIM.Training.Tests;

public sealed class ParameterGroupsTests
{
    [Fact]
    public void BeitRuleSparesNormsBiasesTokensAndLayerScalesButDecaysTheMaskToken()
    {
        using var model = new MimPretrainingModel(TinySetup.Model(BlockFlavour.Beit));
        var split = ParameterGroups.Split(model, WeightDecayRule.Beit);
        var decayed = split.Decayed.Select(p => p.Name).ToHashSet();
        var spared = split.NotDecayed.Select(p => p.Name).ToHashSet();

        Assert.Subset(decayed, new HashSet<string>
        {
            "backbone.mask_token", "backbone.patch_embed.projection.weight", "backbone.layers.0.attn.q_proj.weight",
            "backbone.layers.1.attn.kv_proj.weight", "backbone.extra_layers.0.ffn.layers.0.0.weight", "head.fc.weight",
        });
        Assert.Subset(spared, new HashSet<string>
        {
            "backbone.cls_token", "backbone.pos_embed", "backbone.layers.0.ln1.weight", "backbone.layers.0.ln2.bias",
            "backbone.layers.0.attn.q_bias", "backbone.layers.0.attn.v_bias", "backbone.layers.0.gamma_1",
            "backbone.extra_layers.1.gamma_2", "backbone.ln1.weight", "backbone.patch_embed.projection.bias", "head.fc.bias",
        });
        Assert.All(split.Decayed, p => Assert.True(p.Parameter.dim() >= 2, p.Name));
        AssertPartition(model, split);
    }

    [Fact]
    public void MaskFeatRuleDecaysTokensAndEmbeddingsButSparesTheMaskTokenAndEveryVector()
    {
        using var model = new MimPretrainingModel(TinySetup.Model(BlockFlavour.MaskFeat));
        var split = ParameterGroups.Split(model, WeightDecayRule.MaskFeat);
        var decayed = split.Decayed.Select(p => p.Name).ToHashSet();
        var spared = split.NotDecayed.Select(p => p.Name).ToHashSet();

        Assert.Subset(decayed, new HashSet<string>
        {
            "backbone.cls_token", "backbone.pos_embed", "backbone.layers.0.attn.q_proj.weight", "head.fc.weight",
        });
        Assert.Subset(spared, new HashSet<string>
        {
            "backbone.mask_token", "backbone.layers.0.attn.q_proj.bias", "backbone.layers.0.attn.kv_proj.bias",
            "backbone.layers.0.ln1.weight", "backbone.ln1.bias", "head.fc.bias",
        });
        Assert.All(split.NotDecayed.Where(p => p.Name != "backbone.mask_token"), p => Assert.Equal(1, p.Parameter.dim()));
        AssertPartition(model, split);
    }

    [Theory]
    [InlineData("backbone.norm.weight", 1, false)]
    [InlineData("backbone.layers.3.attn.q_bias", 1, false)]
    [InlineData("head.cls_head.weight", 2, true)]
    public void RulesAgreeOnPlainNames(string name, long dimensions, bool decayed)
    {
        Assert.Equal(decayed, ParameterGroups.IsDecayed(name, dimensions, WeightDecayRule.Beit));
        Assert.Equal(decayed, ParameterGroups.IsDecayed(name, dimensions, WeightDecayRule.MaskFeat));
    }

    [Fact]
    public void AdamWGetsOneDecayedAndOneUndecayedGroup()
    {
        using var model = new MimPretrainingModel(TinySetup.Model());
        using var optimizer = ParameterGroups.CreateAdamW(model, new TrainingConfig { WeightDecay = 0.05, DecayRule = WeightDecayRule.Beit });
        var split = ParameterGroups.Split(model, WeightDecayRule.Beit);

        var groups = optimizer.ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().ToList();

        Assert.Equal(2, groups.Count);
        Assert.Equal(0.05, groups[0].Options.weight_decay!.Value);
        Assert.Equal(0.0, groups[1].Options.weight_decay!.Value);
        Assert.Equal(split.Decayed.Count, groups[0].Parameters.Count());
        Assert.Equal(split.NotDecayed.Count, groups[1].Parameters.Count());
    }

    private static void AssertPartition(MimPretrainingModel model, ParameterGroupSplit split)
    {
        var all = model.named_parameters().Select(p => p.name).ToList();
        var grouped = split.Decayed.Concat(split.NotDecayed).Select(p => p.Name).ToList();
        Assert.Equal(all.Order(StringComparer.Ordinal), grouped.Order(StringComparer.Ordinal));
    }
}
