using SemanticMIM.Evaluation.Augmentation;
using SemanticMIM.Evaluation.FineTuning;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

public class SoftTargetCrossEntropyTests
{
    [Fact]
    public void UniformLogitsCostLogK()
    {
        using var scope = torch.NewDisposeScope();

        var loss = SoftTargetCrossEntropy.Loss(torch.zeros(3, 4), MixupCutmix.SoftTargets(torch.tensor(new long[] { 0, 1, 3 }), 4, 0.6, 0.1));

        Assert.Equal(Math.Log(4), loss.item<float>(), 5);
    }

    [Fact]
    public void SmoothedOneHotTargetsGiveLabelSmoothedCrossEntropy()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.randn(6, 5, generator: new torch.Generator(1));
        var labels = torch.tensor(new long[] { 0, 4, 2, 2, 1, 3 });

        var soft = SoftTargetCrossEntropy.Loss(logits, MixupCutmix.SoftTargets(labels, 5, 1, 0.1));
        var reference = nn.functional.cross_entropy(logits, labels, label_smoothing: 0.1);

        Assert.Equal(reference.item<float>(), soft.item<float>(), 5);
    }
}
