using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// mmseg's FCNHead as the UperNet auxiliary head: one 3×3 ConvModule (<c>convs.0</c>, 256 channels in the paper),
/// no input concatenation, Dropout2d and the 1×1 <c>conv_seg</c>. Logits stay at the input level's size.
/// </summary>
public sealed class FcnAuxiliaryHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "convs")]
    private readonly Sequential _convs;

    [ComponentName(Name = "dropout")]
    private readonly Dropout2d _dropout;

    [ComponentName(Name = "conv_seg")]
    private readonly Conv2d _convSeg;

    public FcnAuxiliaryHead(long inChannels, int channels, int numClasses, double dropoutRate, torch.Generator generator)
        : base(nameof(FcnAuxiliaryHead))
    {
        _convs = nn.Sequential(new ConvModule(inChannels, channels, 3, generator));
        _dropout = nn.Dropout2d(dropoutRate);
        _convSeg = HeadInit.Classifier(channels, numClasses, generator);
        RegisterComponents();
    }

    public override Tensor forward(Tensor level)
    {
        using var features = _convs.forward(level);
        using var dropped = _dropout.forward(features);
        return _convSeg.forward(dropped);
    }
}
