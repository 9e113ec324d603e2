using TorchSharp;
using TorchSharp.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// mmseg's Feature2Pyramid (spec (f), identical to BEiT's fpn1–4): four tapped (B, D, g, g) patch maps become
/// ×4, ×2, ×1 and ×½ of the patch grid, i.e. strides 4, 8, 16 and 32 for patch 16.
/// fpn1 = ConvT(2, s2) → BN → GELU → ConvT(2, s2); fpn2 = ConvT(2, s2); fpn3 = identity; fpn4 = MaxPool 2.
/// BatchNorm replaces the reference's SyncBN (one process).
/// </summary>
public sealed class FeaturePyramidNeck : nn.Module<IReadOnlyList<Tensor>, Tensor[]>
{
    public const int Levels = 4;

    [ComponentName(Name = "fpn1")]
    private readonly Sequential _fpn1;

    [ComponentName(Name = "fpn2")]
    private readonly Sequential _fpn2;

    [ComponentName(Name = "fpn4")]
    private readonly MaxPool2d _fpn4;

    public FeaturePyramidNeck(int embedDim, torch.Generator generator) : base(nameof(FeaturePyramidNeck))
    {
        var fpn1First = nn.ConvTranspose2d(embedDim, embedDim, 2, stride: 2);
        var fpn1Second = nn.ConvTranspose2d(embedDim, embedDim, 2, stride: 2);
        var fpn2Only = nn.ConvTranspose2d(embedDim, embedDim, 2, stride: 2);
        HeadInit.TransposedConvolution(fpn1First, generator);
        HeadInit.TransposedConvolution(fpn1Second, generator);
        HeadInit.TransposedConvolution(fpn2Only, generator);
        _fpn1 = nn.Sequential(fpn1First, nn.BatchNorm2d(embedDim), nn.GELU(), fpn1Second);
        _fpn2 = nn.Sequential(fpn2Only);
        _fpn4 = nn.MaxPool2d(2, 2);
        RegisterComponents();
    }

    /// <summary>Four patch maps (B, D, g, g), shallowest first → (B, D, 4g, 4g), (B, D, 2g, 2g), (B, D, g, g), (B, D, g/2, g/2).</summary>
    public override Tensor[] forward(IReadOnlyList<Tensor> patchMaps)
    {
        if (patchMaps.Count != Levels)
        {
            throw new ArgumentException($"the neck takes {Levels} patch maps, got {patchMaps.Count}", nameof(patchMaps));
        }
        return [_fpn1.forward(patchMaps[0]), _fpn2.forward(patchMaps[1]), patchMaps[2].alias(), _fpn4.forward(patchMaps[3])];
    }
}
