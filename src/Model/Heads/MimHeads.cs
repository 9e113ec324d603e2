using SemanticMIM.Model.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Heads;

/// <summary>
/// A pretraining head: predictions for the masked tokens and the loss against their targets. The loss is computed in
/// fp32 whatever dtype the predictions come in (bf16 under <see cref="MixedPrecision"/>).
/// </summary>
public abstract class MimHead : nn.Module<Tensor, Tensor>
{
    protected MimHead(string name) : base(name)
    {
    }

    /// <summary>Loss of <paramref name="predictions"/> (B, N_m, ·) against the masked positions' targets.</summary>
    public abstract Tensor Loss(Tensor predictions, Tensor maskedTargets);
}

/// <summary>BEiT head (spec (a), (d)): Linear D → vocabulary, mean cross-entropy over all masked tokens against dVAE ids.</summary>
public sealed class BeitHead : MimHead
{
    [ComponentName(Name = "cls_head")]
    private readonly Linear _classifier;

    public BeitHead(int embedDim, int vocabSize) : base(nameof(BeitHead))
    {
        _classifier = nn.Linear(embedDim, vocabSize);
        RegisterComponents();
        using var noGrad = torch.no_grad();
        WeightInit.TruncatedNormal(_classifier.weight!);
        nn.init.zeros_(_classifier.bias!);
    }

    /// <summary>Logits (B, N_m, vocabulary).</summary>
    public override Tensor forward(Tensor maskedTokens) => MixedPrecision.Linear(_classifier, maskedTokens);

    /// <param name="predictions">Logits (B, N_m, V).</param>
    /// <param name="maskedTargets">Token ids (B, N_m), int64.</param>
    public override Tensor Loss(Tensor predictions, Tensor maskedTargets)
    {
        using var flatLogits = predictions.flatten(0, 1).to(ScalarType.Float32);
        using var flatTargets = maskedTargets.flatten();
        return nn.functional.cross_entropy(flatLogits, flatTargets);
    }
}

/// <summary>MaskFeat head (spec (a), (d)): a linear neck D → HOG dims, MSE averaged over every element.</summary>
public sealed class MaskFeatHead : MimHead
{
    [ComponentName(Name = "fc")]
    private readonly Linear _projection;

    public MaskFeatHead(int embedDim, int targetDim) : base(nameof(MaskFeatHead))
    {
        _projection = nn.Linear(embedDim, targetDim);
        RegisterComponents();
        using var noGrad = torch.no_grad();
        WeightInit.TruncatedNormal(_projection.weight!);
        nn.init.zeros_(_projection.bias!);
    }

    /// <summary>Predicted HOG features (B, N_m, F).</summary>
    public override Tensor forward(Tensor maskedTokens) => MixedPrecision.Linear(_projection, maskedTokens);

    public override Tensor Loss(Tensor predictions, Tensor maskedTargets)
    {
        using var inFloat32 = predictions.to(ScalarType.Float32);
        using var targets = maskedTargets.to(ScalarType.Float32);
        return nn.functional.mse_loss(inFloat32, targets);
    }
}
