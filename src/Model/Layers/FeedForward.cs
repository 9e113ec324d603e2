using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>
/// The MLP of a block: fc1, exact GELU, fc2. Laid out as MMCV's FFN so that parameters are named
/// <c>layers.0.0</c> (fc1) and <c>layers.1</c> (fc2), as in the official checkpoints.
/// </summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "layers")]
    private readonly Sequential _layers;

    public FeedForward(int embedDim, int hiddenDim) : base(nameof(FeedForward))
    {
        _layers = nn.Sequential(nn.Sequential(nn.Linear(embedDim, hiddenDim), nn.GELU()), nn.Linear(hiddenDim, embedDim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (MixedPrecision.ComputeType is null)
        {
            return _layers.forward(x);
        }
        var firstLayer = (Sequential)_layers[0];
        using var hidden = MixedPrecision.Linear((Linear)firstLayer[0], x);
        using var activated = firstLayer[1].call(hidden);
        return MixedPrecision.Linear((Linear)_layers[1], activated);
    }
}
