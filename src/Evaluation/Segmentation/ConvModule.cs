using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// mmcv's ConvModule with a norm layer: a bias-free convolution (same padding) → BatchNorm → ReLU, parameters named
/// <c>conv</c> and <c>bn</c>. The convolution gets mmcv's Kaiming-normal init (fan out, ReLU gain), the norm 1/0.
/// </summary>
public sealed class ConvModule : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "conv")]
    private readonly Conv2d _conv;

    [ComponentName(Name = "bn")]
    private readonly BatchNorm2d _norm;

    public ConvModule(long inChannels, long outChannels, int kernelSize, torch.Generator generator) : base(nameof(ConvModule))
    {
        _conv = nn.Conv2d(inChannels, outChannels, kernelSize, padding: kernelSize / 2, bias: false);
        _norm = nn.BatchNorm2d(outChannels);
        HeadInit.KaimingNormalFanOut(_conv.weight!, generator);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var convolved = _conv.forward(input);
        using var normalised = _norm.forward(convolved);
        return nn.functional.relu(normalised);
    }
}
