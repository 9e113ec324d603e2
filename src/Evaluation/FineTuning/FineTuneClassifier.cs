using SemanticMIM.Model;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// The fine-tuned classifier of spec (f), "LN(avg patch) → Linear": the encoder's last-layer tokens, averaged over
/// the patches (<see cref="FeatureNames.Patch"/>) or over the P proxies (<see cref="FeatureNames.Cls"/>), through
/// <c>fc_norm</c>, then the Linear <c>head</c>. fc_norm is a learnable LayerNorm (eps 1e-6, initialised 1 and 0) as
/// mmpretrain's <c>ln2</c> of <c>out_type='avg_featmap'</c>, trained here with everything else, unlike the probe's
/// frozen one. The head weight is N(0, std²) truncated at ±2, its bias 0.
/// </summary>
public sealed class FineTuneClassifier : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "backbone")]
    private readonly VisionTransformer _backbone;

    [ComponentName(Name = "fc_norm")]
    private readonly LayerNorm _fcNorm;

    [ComponentName(Name = "head")]
    private readonly Linear _head;

    private readonly string _feature;

    /// <param name="backbone">Owned from now on: disposed with the classifier.</param>
    public FineTuneClassifier(
        VisionTransformer backbone, string feature, int numClasses, double headInitStd, torch.Generator generator)
        : base(nameof(FineTuneClassifier))
    {
        if (feature is not (FeatureNames.Patch or FeatureNames.Cls))
        {
            throw new ArgumentException($"feature must be '{FeatureNames.Patch}' or '{FeatureNames.Cls}', got '{feature}'", nameof(feature));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        _backbone = backbone;
        _feature = feature;
        int dim = backbone.Config.EmbedDim;
        _fcNorm = nn.LayerNorm(dim, ParameterFreeLayerNorm.Eps);
        _head = nn.Linear(dim, numClasses);
        using (torch.no_grad())
        {
            WeightInit.TruncatedNormal(_head.weight!, headInitStd, generator);
            _head.bias!.zero_();
        }
        RegisterComponents();
        var device = backbone.parameters().First().device;
        _fcNorm.to(device);
        _head.to(device);
    }

    public VisionTransformer Backbone => _backbone;

    public string Feature => _feature;

    /// <summary>Logits (B, K) of images (B, C, H, W).</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var tokens = _backbone.forward(images);
        int proxies = _backbone.Config.NumProxies;
        var pooled = _feature == FeatureNames.Patch ? tokens[.., proxies..].mean([1]) : tokens[.., ..proxies].mean([1]);
        return _head.forward(_fcNorm.forward(pooled)).MoveToOuterDisposeScope();
    }
}
