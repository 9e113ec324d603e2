using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// mmseg's UPerHead: a pyramid pooling module on the deepest level (adaptive average pool to each scale → 1×1
/// ConvModule → bilinear back, concatenated with the input → 3×3 <c>bottleneck</c>), 1×1 <c>lateral_convs</c> on
/// the other levels, a top-down path adding bilinearly upsampled coarser laterals, 3×3 <c>fpn_convs</c>, every level
/// upsampled to the finest, concatenated, 3×3 <c>fpn_bottleneck</c>, Dropout2d and the 1×1 <c>conv_seg</c>.
/// Bilinear resizing uses align_corners false throughout, as the reference configs.
/// </summary>
public sealed class UperHead : nn.Module<IReadOnlyList<Tensor>, Tensor>
{
    [ComponentName(Name = "psp_modules")]
    private readonly ModuleList<Sequential> _pspModules;

    [ComponentName(Name = "bottleneck")]
    private readonly ConvModule _bottleneck;

    [ComponentName(Name = "lateral_convs")]
    private readonly ModuleList<ConvModule> _lateralConvs;

    [ComponentName(Name = "fpn_convs")]
    private readonly ModuleList<ConvModule> _fpnConvs;

    [ComponentName(Name = "fpn_bottleneck")]
    private readonly ConvModule _fpnBottleneck;

    [ComponentName(Name = "dropout")]
    private readonly Dropout2d _dropout;

    [ComponentName(Name = "conv_seg")]
    private readonly Conv2d _convSeg;

    /// <param name="inChannels">Channels of each pyramid level, finest first.</param>
    /// <param name="channels">Width of every inner ConvModule (768 in the paper).</param>
    public UperHead(
        IReadOnlyList<long> inChannels, int channels, int numClasses, IReadOnlyList<int> poolScales, double dropoutRate,
        torch.Generator generator) : base(nameof(UperHead))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels.Count, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolScales.Count, 1);
        long deepest = inChannels[^1];
        _pspModules = nn.ModuleList(poolScales
            .Select(scale => nn.Sequential(nn.AdaptiveAvgPool2d(scale), new ConvModule(deepest, channels, 1, generator)))
            .ToArray());
        _bottleneck = new ConvModule(deepest + poolScales.Count * (long)channels, channels, 3, generator);
        var lateral = new List<ConvModule>();
        var fpn = new List<ConvModule>();
        foreach (long levelChannels in inChannels.Take(inChannels.Count - 1))
        {
            lateral.Add(new ConvModule(levelChannels, channels, 1, generator));
            fpn.Add(new ConvModule(channels, channels, 3, generator));
        }
        _lateralConvs = nn.ModuleList(lateral.ToArray());
        _fpnConvs = nn.ModuleList(fpn.ToArray());
        _fpnBottleneck = new ConvModule(inChannels.Count * (long)channels, channels, 3, generator);
        _dropout = nn.Dropout2d(dropoutRate);
        _convSeg = HeadInit.Classifier(channels, numClasses, generator);
        Levels = inChannels.Count;
        RegisterComponents();
    }

    public int Levels { get; }

    /// <summary>Pyramid levels, finest first → logits (B, K, H₀, W₀) at the finest level's size.</summary>
    public override Tensor forward(IReadOnlyList<Tensor> levels)
    {
        if (levels.Count != Levels)
        {
            throw new ArgumentException($"the head takes {Levels} levels, got {levels.Count}", nameof(levels));
        }
        using var scope = torch.NewDisposeScope();
        var laterals = new Tensor[Levels];
        for (int i = 0; i < Levels - 1; i++)
        {
            laterals[i] = _lateralConvs[i].forward(levels[i]);
        }
        laterals[^1] = PyramidPooling(levels[^1]);
        for (int i = Levels - 1; i > 0; i--)
        {
            laterals[i - 1] = laterals[i - 1] + ResizeTo(laterals[i], laterals[i - 1]);
        }
        var outputs = new Tensor[Levels];
        for (int i = 0; i < Levels - 1; i++)
        {
            outputs[i] = _fpnConvs[i].forward(laterals[i]);
        }
        outputs[^1] = laterals[^1];
        for (int i = Levels - 1; i > 0; i--)
        {
            outputs[i] = ResizeTo(outputs[i], outputs[0]);
        }
        var fused = _fpnBottleneck.forward(torch.cat(outputs, 1));
        return _convSeg.forward(_dropout.forward(fused)).MoveToOuterDisposeScope();
    }

    private Tensor PyramidPooling(Tensor deepest)
    {
        var pooled = new List<Tensor> { deepest };
        pooled.AddRange(_pspModules.Select(module => ResizeTo(module.forward(deepest), deepest)));
        return _bottleneck.forward(torch.cat(pooled, 1));
    }

    /// <summary>Bilinear resize of <paramref name="map"/> to the spatial size of <paramref name="like"/>.</summary>
    private static Tensor ResizeTo(Tensor map, Tensor like) =>
        nn.functional.interpolate(map, [like.shape[2], like.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
}
