using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>Non-overlapping patch embedding: a convolution with kernel = stride = patch, flattened row-major to (B, N, D).</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "projection")]
    private readonly Conv2d _projection;

    private readonly int _patchSize;

    public PatchEmbed(int inChannels, int embedDim, int patchSize) : base(nameof(PatchEmbed))
    {
        _patchSize = patchSize;
        _projection = nn.Conv2d(inChannels, embedDim, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    public Conv2d Projection => _projection;

    public override Tensor forward(Tensor images)
    {
        using var grid = MixedPrecision.Conv2d(_projection, images, _patchSize);
        using var flat = grid.flatten(2);
        return flat.transpose(1, 2);
    }
}
