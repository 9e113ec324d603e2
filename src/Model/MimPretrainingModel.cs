using SemanticMIM.Model.Heads;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// The pretraining model: a masked image encoder (<c>backbone</c>) and a head (<c>head</c>); targets are
/// precomputed for every patch and the masked positions are selected here.
/// </summary>
public sealed class MimPretrainingModel : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "backbone")]
    private readonly MaskedImageEncoder _backbone;

    [ComponentName(Name = "head")]
    private readonly MimHead _head;

    public MimPretrainingModel(MimModelConfig config) : base(nameof(MimPretrainingModel))
    {
        Config = config;
        _backbone = config.Method == MimMethod.SemanticMim ? new ProxyEncoder(config.Encoder) : new MimEncoder(config.Encoder);
        _head = config.Target == TargetKind.TokenIds
            ? new BeitHead(config.Encoder.EmbedDim, config.VocabSize)
            : new MaskFeatHead(config.Encoder.EmbedDim, config.HeadOutputDim);
        RegisterComponents();
    }

    public MimModelConfig Config { get; }

    public MaskedImageEncoder Backbone => _backbone;

    /// <summary>Head predictions for the masked positions (B, N_m, ·).</summary>
    public override Tensor forward(Tensor images, Tensor mask)
    {
        using var positions = MaskPositions.Of(mask);
        return Predict(images, positions);
    }

    /// <summary>
    /// The pretraining loss: encode, predict, select the targets of the masked positions, compare.
    /// <paramref name="targets"/> covers every patch: ids (B, N) or HOG features (B, N, F).
    /// </summary>
    public Tensor Loss(Tensor images, Tensor mask, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        using var positions = MaskPositions.Of(mask);
        var predictions = Predict(images, positions);
        var selected = positions.GatherMasked(targets);
        return _head.Loss(predictions, selected).MoveToOuterDisposeScope();
    }

    /// <summary>Targets of the masked positions, ascending: (B, N) → (B, N_m) or (B, N, F) → (B, N_m, F).</summary>
    public static Tensor SelectMasked(Tensor targets, Tensor mask)
    {
        using var positions = MaskPositions.Of(mask);
        return positions.GatherMasked(targets);
    }

    private Tensor Predict(Tensor images, MaskPositions positions)
    {
        using var encoded = _backbone.ForwardMasked(images, positions);
        return _head.forward(encoded);
    }
}
