using SemanticMIM.Evaluation.FineTuning;
using SemanticMIM.Model;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

public class LayerDecayTests
{
    private static FineTuneClassifier Classifier()
    {
        torch.manual_seed(0);
        var encoder = new VisionTransformer(TinyEncoders.Config(numProxies: 2) with { Depth = 2 });
        return new FineTuneClassifier(encoder, FeatureNames.Patch, 3, 0.02, new torch.Generator(1));
    }

    [Fact]
    public void LearningRateScalesAreDecayPowersByLayer()
    {
        using var classifier = Classifier();

        var settings = LayerDecay.Settings(
            classifier.named_parameters().Select(p => (p.name, p.parameter)), depth: 2, decay: 0.65, weightDecay: 0.05);

        double Scale(string name) => settings.Single(s => s.Name == name).LearningRateScale;
        Assert.Equal(0.65 * 0.65 * 0.65, Scale("backbone.cls_token"), 12);
        Assert.Equal(0.65 * 0.65 * 0.65, Scale("backbone.pos_embed"), 12);
        Assert.Equal(0.65 * 0.65 * 0.65, Scale("backbone.patch_embed.projection.weight"), 12);
        Assert.Equal(0.65 * 0.65, Scale("backbone.layers.0.attn.proj.weight"), 12);
        Assert.Equal(0.65 * 0.65, Scale("backbone.layers.0.gamma_2"), 12);
        Assert.Equal(0.65, Scale("backbone.layers.1.ln1.weight"), 12);
        Assert.Equal(1, Scale("fc_norm.weight"), 12);
        Assert.Equal(1, Scale("head.weight"), 12);
        Assert.Equal(
            classifier.named_parameters().Select(p => p.name),
            settings.Select(s => s.Name));
        Assert.All(
            settings.Where(s => s.Name.StartsWith("backbone.layers.1.", StringComparison.Ordinal)),
            s => Assert.Equal(2, s.LayerId));
    }

    [Fact]
    public void WeightDecaySkipsOneDimensionalParametersAndTokens()
    {
        using var classifier = Classifier();

        var settings = LayerDecay.Settings(
            classifier.named_parameters().Select(p => (p.name, p.parameter)), depth: 2, decay: 0.65, weightDecay: 0.05);

        var decayed = settings.Where(s => s.WeightDecay == 0.05).Select(s => s.Name).ToHashSet();
        var expected = new HashSet<string> { "backbone.patch_embed.projection.weight", "head.weight" };
        foreach (int layer in new[] { 0, 1 })
        {
            foreach (string weight in new[] { "attn.q_proj", "attn.kv_proj", "attn.proj", "ffn.layers.0.0", "ffn.layers.1" })
            {
                expected.Add($"backbone.layers.{layer}.{weight}.weight");
            }
        }
        Assert.Equal(expected, decayed);
        Assert.All(settings.Where(s => !decayed.Contains(s.Name)), s => Assert.Equal(0, s.WeightDecay));
    }

    [Theory]
    [InlineData("backbone.layers.11.ffn.layers.1.bias", 12, 12)]
    [InlineData("backbone.layers.0.ln1.weight", 12, 1)]
    [InlineData("backbone.patch_embed.projection.bias", 12, 0)]
    [InlineData("head.bias", 12, 13)]
    [InlineData("cls_token", 12, 13)]
    public void LayerIdsFollowBeit(string name, int depth, int expected)
    {
        Assert.Equal(expected, LayerDecay.LayerId(name, depth));
    }

    [Fact]
    public void DecayOneLeavesEveryRateUnscaled()
    {
        using var classifier = Classifier();

        var settings = LayerDecay.Settings(
            classifier.named_parameters().Select(p => (p.name, p.parameter)), depth: 2, decay: 1, weightDecay: 1e-4);

        Assert.All(settings, s => Assert.Equal(1, s.LearningRateScale));
    }
}
