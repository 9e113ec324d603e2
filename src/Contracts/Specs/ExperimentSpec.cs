namespace SemanticMIM.Contracts.Specs;

/// <summary>
/// One experiment: which data, which method and targets, which encoder, how to train and how to evaluate.
/// Written as YAML (camelCase keys); <see cref="SpecReader"/> parses it and lists every problem.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Identifies the experiment and names its run folder: lower-case letters, digits and dashes.</summary>
    public string Name { get; init; } = "";

    public DatasetSpec Dataset { get; init; } = new();

    /// <summary><c>semanticmim</c> (proxy bottleneck) or <c>baseline</c> (BEiT / MaskFeat as reproduced).</summary>
    public MethodKind Method { get; init; } = MethodKind.SemanticMim;

    public TargetSpec Target { get; init; } = new();

    public ModelSpec Model { get; init; } = new();

    public MaskingSpec Masking { get; init; } = new();

    public TrainingSpec Training { get; init; } = new();

    public AugmentationSpec Augmentation { get; init; } = new();

    public IReadOnlyList<EvaluationSpec> Evaluations { get; init; } = [];
}

public enum MethodKind
{
    SemanticMim,
    Baseline,
}

public enum DatasetKind
{
    FashionMnist,
    ImageNet,
    PascalVoc,
    Ade20k,
    SyntheticScenes,
}

public sealed record DatasetSpec
{
    public DatasetKind Kind { get; init; } = DatasetKind.FashionMnist;

    /// <summary>Folder of the raw data set; empty for the synthetic scenes and for Fashion-MNIST's Debian package path.</summary>
    public string Source { get; init; } = "";

    /// <summary>Side of the square model input in pixels.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>1 for grayscale inputs, 3 for RGB.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Use at most this many training samples (0 = all); for quick runs.</summary>
    public int MaxTrainSamples { get; init; }

    /// <summary>Use at most this many test samples (0 = all).</summary>
    public int MaxTestSamples { get; init; }

    /// <summary>Samples per shard.</summary>
    public int ShardSize { get; init; } = 10000;
}

public enum TargetKindSpec
{
    Hog,
    Tokens,
}

public enum TokenizerKind
{
    /// <summary>The project's small VQ tokenizer, trained on the data set first.</summary>
    Vq,

    /// <summary>OpenAI's DALL-E encoder; needs <see cref="TargetSpec.DalleWeights"/>.</summary>
    Dalle,
}

public sealed record TargetSpec
{
    /// <summary><c>hog</c> (MaskFeat) or <c>tokens</c> (BEiT).</summary>
    public TargetKindSpec Kind { get; init; } = TargetKindSpec.Hog;

    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Vq;

    /// <summary>Path of the DALL-E encoder weights (state_dict or safetensors) when the tokenizer is dalle.</summary>
    public string DalleWeights { get; init; } = "";

    /// <summary>Codebook size of the VQ tokenizer.</summary>
    public int VocabSize { get; init; } = 512;

    /// <summary>Training steps of the VQ tokenizer, trained once per data set before the targets are computed.</summary>
    public int TokenizerSteps { get; init; } = 300;

    /// <summary>Augmented views recorded per sample (spec (c)/(e)); the trainer cycles through them.</summary>
    public int Views { get; init; } = 2;
}

public sealed record ModelSpec
{
    /// <summary>tiny, small or base; the fields below override it where set.</summary>
    public string Preset { get; init; } = "tiny";

    public int PatchSize { get; init; }
    public int EmbedDim { get; init; }
    public int Depth { get; init; }
    public int Heads { get; init; }
    public int MlpDim { get; init; }

    /// <summary>Proxy/class tokens P: 8 for SemanticMIM, 1 for the baselines (0 = that default).</summary>
    public int Proxies { get; init; }

    public double DropPath { get; init; }
}

public enum MaskingKind
{
    Random,
    Blockwise,
}

public sealed record MaskingSpec
{
    public MaskingKind Kind { get; init; } = MaskingKind.Random;

    /// <summary>Mask ratio r: ceil(N·r) patches are masked; 0.6 for SemanticMIM, 0.4 for the baselines.</summary>
    public double Ratio { get; init; } = 0.6;
}

public sealed record TrainingSpec
{
    /// <summary>Optimiser steps; exactly one of steps and epochs is set.</summary>
    public int Steps { get; init; }

    public int Epochs { get; init; }

    public int BatchSize { get; init; } = 128;

    public int Accumulation { get; init; } = 1;

    public double LearningRate { get; init; } = 1.5e-3;

    public double MinLearningRate { get; init; } = 1e-6;

    /// <summary>Share of the steps spent in linear warmup.</summary>
    public double WarmupFraction { get; init; } = 0.05;

    public double WeightDecay { get; init; } = 0.05;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    /// <summary>Global L2 norm the gradients are clipped to; 0 turns clipping off.</summary>
    public double GradClip { get; init; } = 0.02;

    public int Seed { get; init; }

    /// <summary>A checkpoint every this many steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; }
}

public sealed record AugmentationSpec
{
    /// <summary>RandomResizedCrop scale range.</summary>
    public double MinScale { get; init; } = 0.5;

    public double MaxScale { get; init; } = 1.0;

    public bool Flip { get; init; } = true;
}

public enum EvaluationProtocol
{
    LinearProbe,
    SegmentationProbe,
}

public sealed record EvaluationSpec
{
    public EvaluationProtocol Protocol { get; init; } = EvaluationProtocol.LinearProbe;

    public int Epochs { get; init; } = 60;

    public int BatchSize { get; init; } = 1024;

    public double LearningRate { get; init; } = 4e-3;

    /// <summary>1-based encoder layer for the segmentation probe (0 = the last).</summary>
    public int Layer { get; init; }
}
