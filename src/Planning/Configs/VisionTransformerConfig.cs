namespace SemanticMIM.Planning.Configs;

/// <summary>Which block family a model uses (spec (a)).</summary>
public enum BlockFlavour
{
    /// <summary>BEiT: q/v bias only, layer scale (γ init 0.1), depth-rescaled init of proj and fc2.</summary>
    Beit,

    /// <summary>MaskFeat: full q/k/v bias, no layer scale, plain init.</summary>
    MaskFeat,
}

/// <summary>Shape and regularisation of a Vision Transformer with P class/proxy tokens.</summary>
public sealed record VisionTransformerConfig
{
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public int InChannels { get; init; } = 3;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public int MlpDim { get; init; } = 3072;

    /// <summary>Number of class/proxy tokens P: 1 for the baselines, 8 for SemanticMIM.</summary>
    public int NumProxies { get; init; } = 1;

    public BlockFlavour Flavour { get; init; } = BlockFlavour.Beit;

    /// <summary>Initial value of the per-channel layer scales γ1, γ2 (BEiT flavour only).</summary>
    public double LayerScaleInit { get; init; } = 0.1;

    /// <summary>Largest stochastic-depth rate; layer i gets linspace(0, rate, depth)[i].</summary>
    public double DropPathRate { get; init; }

    public double LayerNormEps { get; init; } = 1e-6;

    public int GridSize => ImageSize / PatchSize;

    public int NumPatches => GridSize * GridSize;

    public int HeadDim => EmbedDim / NumHeads;

    /// <summary>Every problem with this configuration, empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Positive(string name, int value)
        {
            if (value <= 0)
            {
                problems.Add($"{name} must be positive (got {value})");
            }
        }

        Positive(nameof(ImageSize), ImageSize);
        Positive(nameof(PatchSize), PatchSize);
        Positive(nameof(InChannels), InChannels);
        Positive(nameof(EmbedDim), EmbedDim);
        Positive(nameof(Depth), Depth);
        Positive(nameof(NumHeads), NumHeads);
        Positive(nameof(MlpDim), MlpDim);
        Positive(nameof(NumProxies), NumProxies);
        if (PatchSize > 0 && ImageSize % PatchSize != 0)
        {
            problems.Add($"{nameof(ImageSize)} {ImageSize} is not a multiple of {nameof(PatchSize)} {PatchSize}");
        }
        if (NumHeads > 0 && EmbedDim % NumHeads != 0)
        {
            problems.Add($"{nameof(EmbedDim)} {EmbedDim} is not divisible by {nameof(NumHeads)} {NumHeads}");
        }
        if (DropPathRate is < 0 or >= 1)
        {
            problems.Add($"{nameof(DropPathRate)} must lie in [0, 1) (got {DropPathRate})");
        }
        if (Flavour == BlockFlavour.Beit && LayerScaleInit <= 0)
        {
            problems.Add($"{nameof(LayerScaleInit)} must be positive for the BEiT flavour (got {LayerScaleInit})");
        }
        return problems;
    }

    /// <summary>Throws with every problem listed when the configuration is invalid.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid Vision Transformer configuration: " + string.Join("; ", problems));
        }
    }

    /// <summary>Stochastic-depth rate of layer <paramref name="index"/> (0-based): linspace(0, rate, depth)[index].</summary>
    public double DropPathAt(int index) => Depth <= 1 ? 0 : DropPathRate * index / (Depth - 1);
}
