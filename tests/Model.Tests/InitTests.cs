using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class InitTests
{
    private static Dictionary<string, Tensor> Parameters(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    [Fact]
    public void BeitFlavourRescalesProjectionsByDepthInBothStacks()
    {
        var config = ModelPresets.Tiny with { NumProxies = 8 };
        using var encoder = new ProxyEncoder(config);
        var p = Parameters(encoder);

        foreach (var stack in new[] { "layers", "extra_layers" })
        {
            for (int i = 0; i < config.Depth; i++)
            {
                double expected = 0.02 / Math.Sqrt(2.0 * (i + 1));
                Assert.InRange(p[$"{stack}.{i}.attn.proj.weight"].std().item<float>(), 0.9 * expected, 1.1 * expected);
                Assert.InRange(p[$"{stack}.{i}.ffn.layers.1.weight"].std().item<float>(), 0.9 * expected, 1.1 * expected);
                Assert.InRange(p[$"{stack}.{i}.attn.q_proj.weight"].std().item<float>(), 0.018, 0.022);
                Assert.True(p[$"{stack}.{i}.gamma_1"].eq(0.1f).all().item<bool>());
                Assert.Equal(0f, p[$"{stack}.{i}.attn.q_bias"].abs().max().item<float>());
            }
        }
        Assert.InRange(p["pos_embed"].std().item<float>(), 0.018, 0.022);
        Assert.InRange(p["cls_token"].std().item<float>(), 0.01, 0.03);
        Assert.Equal(1f, p["ln1.weight"].min().item<float>());
    }

    [Fact]
    public void MaskFeatFlavourHasFullBiasesNoLayerScaleAndNoRescale()
    {
        var config = ModelPresets.Tiny with { Flavour = BlockFlavour.MaskFeat };
        using var encoder = new MimEncoder(config);
        var p = Parameters(encoder);

        Assert.Contains("layers.0.attn.q_proj.bias", p.Keys);
        Assert.Contains("layers.0.attn.kv_proj.bias", p.Keys);
        Assert.DoesNotContain(p.Keys, k => k.Contains("gamma", StringComparison.Ordinal) || k.EndsWith("q_bias", StringComparison.Ordinal));
        Assert.InRange(p[$"layers.{config.Depth - 1}.attn.proj.weight"].std().item<float>(), 0.018, 0.022);
    }

    [Fact]
    public void DropPathFollowsTheLinearScheduleAndOnlyActsWhileTraining()
    {
        var config = TestModels.Micro(depth: 5) with { DropPathRate = 0.4 };
        Assert.Equal([0.0, 0.1, 0.2, 0.30000000000000004, 0.4], Enumerable.Range(0, 5).Select(config.DropPathAt));

        using var drop = new Layers.DropPath(0.5);
        using var ones = torch.ones(2000, 3, 4);
        drop.train();
        using var trained = drop.forward(ones);
        var perSample = trained[.., 0, 0].data<float>().ToArray();
        Assert.All(perSample, v => Assert.True(v == 0f || v == 2f));
        Assert.InRange(perSample.Count(v => v == 0f), 900, 1100);
        drop.eval();
        using var evaluated = drop.forward(ones);
        TensorAssert.Equal(ones, evaluated, "eval mode is the identity");
    }
}
