using SemanticMIM.Model;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// UperNet on a ViT (spec (f)): the pretrained encoder adapted to the crop size with the recipe's drop path
/// (<c>backbone</c>), the patch tokens of four tapped layers as maps, <see cref="FeaturePyramidNeck"/> (<c>neck</c>),
/// <see cref="UperHead"/> on all four levels (<c>decode_head</c>) and <see cref="FcnAuxiliaryHead"/> on level 2
/// (<c>auxiliary_head</c>). The pretrained encoder itself is never changed.
/// </summary>
public sealed class UperNetSegmenter : nn.Module<Tensor, (Tensor Main, Tensor Auxiliary)>
{
    /// <summary>The pyramid level the auxiliary head reads: the stride-16 one, i.e. the patch grid itself.</summary>
    public const int AuxiliaryLevel = 2;

    [ComponentName(Name = "backbone")]
    private readonly VisionTransformer _backbone;

    [ComponentName(Name = "neck")]
    private readonly FeaturePyramidNeck _neck;

    [ComponentName(Name = "decode_head")]
    private readonly UperHead _decodeHead;

    [ComponentName(Name = "auxiliary_head")]
    private readonly FcnAuxiliaryHead _auxiliaryHead;

    /// <param name="seed">Seeds the neck and head initialisation.</param>
    public UperNetSegmenter(VisionTransformer pretrained, int numClasses, UperNetRecipe recipe, ulong seed)
        : base(nameof(UperNetSegmenter))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numClasses, (int)SegmentationAugmentation.IgnoreIndex);
        recipe.EnsureValid(pretrained.Config.PatchSize);
        Recipe = recipe;
        NumClasses = numClasses;
        _backbone = pretrained.Adapted(recipe.CropSize, recipe.DropPathRate);
        Taps = DefaultTaps(_backbone.Config.Depth);
        int dim = _backbone.Config.EmbedDim;
        using var generator = new torch.Generator(seed);
        _neck = new FeaturePyramidNeck(dim, generator);
        _decodeHead = new UperHead(
            Enumerable.Repeat((long)dim, FeaturePyramidNeck.Levels).ToArray(), recipe.DecodeChannels, numClasses,
            recipe.PoolScales, recipe.DropoutRate, generator);
        _auxiliaryHead = new FcnAuxiliaryHead(dim, recipe.AuxiliaryChannels, numClasses, recipe.DropoutRate, generator);
        RegisterComponents();
        // The adapted backbone lives where the pretrained encoder does; the new neck and heads join it.
        this.to(pretrained.parameters().First().device);
    }

    public UperNetRecipe Recipe { get; }

    public int NumClasses { get; }

    /// <summary>0-based indices of the tapped encoder layers, shallowest first.</summary>
    public IReadOnlyList<int> Taps { get; }

    public int Depth => _backbone.Config.Depth;

    public int InChannels => _backbone.Config.InChannels;

    /// <summary>
    /// 0-based taps for an encoder of <paramref name="depth"/> layers: layers depth·(1/3, 1/2, 2/3, 1) (1-based,
    /// rounded half away from zero, at least 1), which gives the reference's (3, 5, 7, 11) for depth 12.
    /// </summary>
    public static IReadOnlyList<int> DefaultTaps(int depth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        return new[] { 1.0 / 3, 1.0 / 2, 2.0 / 3, 1.0 }
            .Select(share => Math.Max(1, (int)Math.Round(depth * share, MidpointRounding.AwayFromZero)) - 1)
            .ToArray();
    }

    /// <summary>Images (B, C, crop, crop) → main and auxiliary logits (B, K, crop, crop), both bilinearly upsampled.</summary>
    public override (Tensor Main, Tensor Auxiliary) forward(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var pyramid = Pyramid(images);
        var main = Upsampled(_decodeHead.forward(pyramid), images);
        var auxiliary = Upsampled(_auxiliaryHead.forward(pyramid[AuxiliaryLevel]), images);
        return (main.MoveToOuterDisposeScope(), auxiliary.MoveToOuterDisposeScope());
    }

    /// <summary>Main logits (B, K, h, w) of a window no larger than the crop: zero-padded to the crop, then cropped back.</summary>
    public Tensor WindowLogits(Tensor window)
    {
        using var scope = torch.NewDisposeScope();
        int crop = Recipe.CropSize;
        long height = window.shape[2];
        long width = window.shape[3];
        var padded = height == crop && width == crop ? window : nn.functional.pad(window, [0, crop - width, 0, crop - height]);
        var logits = Upsampled(_decodeHead.forward(Pyramid(padded)), padded);
        return logits.narrow(2, 0, height).narrow(3, 0, width).MoveToOuterDisposeScope();
    }

    private Tensor[] Pyramid(Tensor images)
    {
        var config = _backbone.Config;
        if (images.dim() != 4 || images.shape[2] != config.ImageSize || images.shape[3] != config.ImageSize)
        {
            throw new ArgumentException(
                $"images must be (B, C, {config.ImageSize}, {config.ImageSize}), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        var layers = _backbone.ForwardFeatures(images);
        var maps = Taps.Select(tap =>
        {
            var patches = layers[tap][.., config.NumProxies..];
            return patches.transpose(1, 2).reshape(images.shape[0], config.EmbedDim, config.GridSize, config.GridSize);
        }).ToArray();
        return _neck.forward(maps);
    }

    private static Tensor Upsampled(Tensor logits, Tensor images) =>
        nn.functional.interpolate(logits, [images.shape[2], images.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
}
