using System.Text.Json.Serialization;
using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Contracts.Specs;

/// <summary>
/// One experiment: which data, which method and targets, which encoder, how to train and how to evaluate.
/// Written as YAML (camelCase keys); <see cref="SpecReader"/> parses it and lists every problem.
/// </summary>
public sealed record ExperimentSpec
{
    [SpecField("Identifies the experiment; names its run folder, its store keys and its metric label: 1–63 lower-case letters, "
        + "digits and dashes, starting and ending with a letter or digit (a Kubernetes label value)", MaxLength = 63)]
    public string Name { get; init; } = "";

    [SpecField("The data set pretraining reads")]
    public DatasetSpec Dataset { get; init; } = new();

    [SpecField("semanticMim (proxy bottleneck) or baseline (BEiT / MaskFeat as reproduced)")]
    public MethodKind Method { get; init; } = MethodKind.SemanticMim;

    [SpecField("What the masked patches predict")]
    public TargetSpec Target { get; init; } = new();

    [SpecField("The encoder: a preset and the fields that override it")]
    public ModelSpec Model { get; init; } = new();

    [SpecField("Which patches are masked")]
    public MaskingSpec Masking { get; init; } = new();

    [SpecField("The optimisation recipe")]
    public TrainingSpec Training { get; init; } = new();

    [SpecField("The recorded views' RandomResizedCrop and flip")]
    public AugmentationSpec Augmentation { get; init; } = new();

    [SpecField("Protocols run on the pretrained encoder, in order")]
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
    [SpecField("Which data set, in its own folder layout")]
    public DatasetKind Kind { get; init; } = DatasetKind.FashionMnist;

    [SpecField("Folder of the raw data set: required for imageNet, pascalVoc and ade20k; empty reads Fashion-MNIST from Debian's "
        + "dataset-fashion-mnist folder. The services read only under their Data:Roots", MaxLength = 4096)]
    public string Source { get; init; } = "";

    [SpecField("Side of the square model input in pixels", Min = 8, Max = 1024)]
    public int ImageSize { get; init; } = 28;

    [SpecField("1 for grayscale inputs, 3 for RGB", Min = 1, Max = 3)]
    public int Channels { get; init; } = 1;

    [SpecField("Use at most this many training samples (0 = all); for quick runs", Min = 0, Max = 100_000_000)]
    public int MaxTrainSamples { get; init; }

    [SpecField("Use at most this many test samples (0 = all)", Min = 0, Max = 100_000_000)]
    public int MaxTestSamples { get; init; }

    [SpecField("Samples per shard (one unit of sharding work)", Min = 1, Max = 100_000)]
    public int ShardSize { get; init; } = 10000;
}

public enum TargetKindSpec
{
    Hog,
    Tokens,
}

public enum HogStorage
{
    /// <summary>Codes of value · 255: every HOG value lies in [0, 1].</summary>
    Uint8,

    /// <summary>Half-precision values.</summary>
    Float16,
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
    [SpecField("hog (MaskFeat) or tokens (BEiT)")]
    public TargetKindSpec Kind { get; init; } = TargetKindSpec.Hog;

    [SpecField("For tokens: vq (the project's tokenizer, trained on the data set first) or dalle (OpenAI's DALL-E encoder)")]
    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Vq;

    [SpecField("Path of the DALL-E encoder weights (state_dict or safetensors); required when the tokenizer is dalle. "
        + "The services read only under their Data:Roots", MaxLength = 4096)]
    public string DalleWeights { get; init; } = "";

    [SpecField("Codebook size of the VQ tokenizer", Min = 2, Max = 65536)]
    public int VocabSize { get; init; } = 512;

    [SpecField("Training steps of the VQ tokenizer, trained once per data set before the targets are computed", Min = 1, Max = 1_000_000)]
    public int TokenizerSteps { get; init; } = 300;

    [SpecField("Augmented views recorded per sample (spec (c)/(e)), their targets precomputed and stored; the trainer cycles through them. "
        + "0 = none stored: every step renders a fresh view of each sample and computes its targets online, as the official code does", Min = 0, Max = 64)]
    public int Views { get; init; } = 2;

    [SpecField("How stored HOG targets keep their values: uint8 (value · 255 rounded, an error of at most 1/510, half the bytes) or "
        + "float16 (as the first target format did)")]
    public HogStorage HogStorage { get; init; } = HogStorage.Uint8;
}

public sealed record ModelSpec
{
    [SpecField("tiny (patch 4, width 192, depth 6, 3 heads), small (ViT-S/16) or base (ViT-B/16); the fields below override it where set", MaxLength = 16)]
    public string Preset { get; init; } = "tiny";

    [SpecField("Patch side in pixels (0 = the preset's); it must divide every image size, and be at least 2 (HOG cells are half a patch)", Min = 0, Max = 64)]
    public int PatchSize { get; init; }

    [SpecField("Token width D (0 = the preset's); a multiple of heads", Min = 0, Max = 4096)]
    public int EmbedDim { get; init; }

    [SpecField("Transformer blocks (0 = the preset's)", Min = 0, Max = 48)]
    public int Depth { get; init; }

    [SpecField("Attention heads (0 = the preset's)", Min = 0, Max = 64)]
    public int Heads { get; init; }

    [SpecField("Hidden width of each block's MLP (0 = the preset's)", Min = 0, Max = 16384)]
    public int MlpDim { get; init; }

    [SpecField("Proxy/class tokens P: 0 = 8 for SemanticMIM, 1 for the baselines (which take at most 1)", Min = 0, Max = 256)]
    public int Proxies { get; init; }

    [SpecField("Largest stochastic-depth rate (the last block's)", Min = 0, Max = 1, MaxExclusive = true)]
    public double DropPath { get; init; }
}

public enum MaskingKind
{
    Random,
    Blockwise,
}

public sealed record MaskingSpec
{
    [SpecField("random (uniform) or blockwise (BEiT's blocks)")]
    public MaskingKind Kind { get; init; } = MaskingKind.Random;

    [SpecField("Mask ratio r: ceil(N·r) of the N patches are masked, and at least one stays visible; 0.6 for SemanticMIM, 0.4 for the baselines",
        Min = 0, MinExclusive = true, Max = 1, MaxExclusive = true)]
    public double Ratio { get; init; } = 0.6;
}

public sealed record TrainingSpec
{
    [SpecField("Optimiser steps; set exactly one of steps and epochs", Min = 0, Max = 100_000_000)]
    public int Steps { get; init; }

    [SpecField("Passes over the training set, turned into steps; set exactly one of steps and epochs", Min = 0, Max = 100_000)]
    public int Epochs { get; init; }

    [SpecField("Images per forward pass (micro-batch); the trainer's estimated memory must fit Validation:TrainerMemoryLimit", Min = 1, Max = 65536)]
    public int BatchSize { get; init; } = 128;

    [SpecField("Micro-batches whose gradients are summed before one update (images per update = batchSize × accumulation)", Min = 1, Max = 1024)]
    public int Accumulation { get; init; } = 1;

    [SpecField("Peak learning rate of the warmup-cosine schedule", Min = 0, MinExclusive = true, Max = 10)]
    public double LearningRate { get; init; } = 1.5e-3;

    [SpecField("The cosine's floor, reached at the last step; at most learningRate", Min = 0, Max = 10)]
    public double MinLearningRate { get; init; } = 1e-6;

    [SpecField("Share of the steps spent in linear warmup", Min = 0, Max = 1, MaxExclusive = true)]
    public double WarmupFraction { get; init; } = 0.05;

    [SpecField("AdamW weight decay", Min = 0, Max = 10)]
    public double WeightDecay { get; init; } = 0.05;

    [SpecField("AdamW β1", Min = 0, Max = 1, MaxExclusive = true)]
    public double Beta1 { get; init; } = 0.9;

    [SpecField("AdamW β2", Min = 0, Max = 1, MaxExclusive = true)]
    public double Beta2 { get; init; } = 0.999;

    [SpecField("Global L2 norm the gradients are clipped to; 0 turns clipping off", Min = 0, Max = 1_000_000)]
    public double GradClip { get; init; } = 0.02;

    [SpecField("Seeds the model's initialisation, the masks and the sample order, and the recorded views and VQ tokenizer unless augmentation.seed is set", Min = 0, Max = int.MaxValue)]
    public int Seed { get; init; }

    [SpecField("A checkpoint every this many steps (0 = by time only, see checkpointMinutes), and always at the end", Min = 0, Max = 100_000_000)]
    public int CheckpointEvery { get; init; }

    [SpecField("A checkpoint whenever this many minutes of training have passed since the last one, so a preempted run loses at most "
        + "that much (0 = none by time)", Min = 0, Max = 10080)]
    public double CheckpointMinutes { get; init; } = 10;

    // TorchSharp has no autocast: with bf16 the model itself casts per operation, as autocast would.
    [SpecField("fp32 or bf16: with bf16 the linear layers, the patch convolution and attention compute in bf16 while weights, "
        + "optimizer state, checkpoints, LayerNorm and the loss stay fp32; meant for GPUs with bf16 tensor cores")]
    public PrecisionKind Precision { get; init; } = PrecisionKind.Fp32;

    [SpecField("On GPUs, lets fp32 matmuls and convolutions use TF32 tensor cores (inputs rounded to a 10-bit mantissa); "
        + "false gives full fp32 matmuls. No effect on CPUs")]
    public bool Tf32 { get; init; } = true;
}

public enum PrecisionKind
{
    Fp32,
    Bf16,
}

public sealed record AugmentationSpec
{
    [SpecField("Smallest share of the image area a RandomResizedCrop keeps; at most maxScale", Min = 0, MinExclusive = true, Max = 1)]
    public double MinScale { get; init; } = 0.5;

    [SpecField("Largest share of the image area a RandomResizedCrop keeps", Min = 0, MinExclusive = true, Max = 1)]
    public double MaxScale { get; init; } = 1.0;

    [SpecField("Flip half of the views horizontally")]
    public bool Flip { get; init; } = true;

    /// <summary>
    /// Apart from <see cref="TrainingSpec.Seed"/> so that runs differing only in their training seed share targets; left out
    /// of the stored spec when unset, so specs written before it existed still match their claims.
    /// </summary>
    [SpecField("Seeds the recorded views (crops and flips) and the VQ tokenizer, which fix the targets; none = training.seed. "
        + "A sweep sets it to its base's, so its seeds share targets", Min = 0, Max = int.MaxValue)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Seed { get; init; }
}

/// <summary>
/// One evaluation of the pretrained encoder. Zero (or empty) means "the protocol's default": the spec's recipe for
/// that protocol, scaled as its documentation says. The evaluation runs on <see cref="Dataset"/> when given (e.g.
/// PascalVOC after ImageNet pretraining; sharded by the evaluation itself), else on the experiment's data set, at
/// that data set's image size, the encoder's position embeddings resized to it.
/// <para>
/// Each protocol is described once for specs (an <see cref="EvaluationProtocolDescriptor"/>: its name, result name,
/// the options below it reads, its recipes, the labels it needs, its own rules; registered in
/// <see cref="EvaluationProtocolDescriptors"/>) and implemented once by the evaluator (an <c>IEvaluationProtocol</c>
/// registered in <c>SemanticMIM.Pipeline.Evaluations.EvaluationProtocols</c>). Adding a protocol means adding those
/// two classes and one registration line in each registry; validation and the evaluation stage need no change.
/// </para>
/// </summary>
public sealed record EvaluationSpec
{
    [SpecField("The protocol's registered name: linearProbe, fineTune, segmentationProbe, uperNet; any case, dashes ignored "
        + "(upernet, linear-probe); stored under the registered spelling", MaxLength = 64)]
    public string Protocol { get; init; } = LinearProbeDescriptor.Name;

    [SpecField("0 = the protocol's: linear probe 60, fine-tuning the recipe's, segmentation probe 25", Min = 0, Max = 100_000)]
    public int Epochs { get; init; }

    [SpecField("UperNet only: optimiser iterations (0 = the recipe's, 160 000)", Min = 0, Max = 100_000_000)]
    public int Iterations { get; init; }

    [SpecField("0 = the protocol's: linear probe 1024, fine-tuning the recipe's, segmentation probe 60, UperNet 16", Min = 0, Max = 65536)]
    public int BatchSize { get; init; }

    [SpecField("0 = the protocol's: linear probe 4e-3, fine-tuning the recipe's, segmentation probe 0.01·batch/60, UperNet 3e-5", Min = 0, Max = 10)]
    public double LearningRate { get; init; }

    [SpecField("1-based encoder layer, at most the depth. Segmentation probe: the probed layer (0 = the official code's, 8 of 12 scaled "
        + "to the depth). Linear probe: every layer is probed; this one is reported next to the last (0 = the paper's, 7 of 12)", Min = 0, Max = 48)]
    public int Layer { get; init; }

    [SpecField("Named recipe: fine-tuning paper (Table 3, default), beit-code, maskfeat-code; UperNet paper (default) or tiny "
        + "(narrower heads, higher lr, for encoders far smaller than ViT-B)", MaxLength = 64)]
    public string Recipe { get; init; } = "";

    [SpecField("Linear probe: train on a fresh RandomResizedCrop + flip view of every image each epoch (the spec's recipe; an encoder "
        + "pass per epoch) instead of features of the centre view computed once")]
    public bool Augment { get; init; }

    [SpecField("UperNet: training crop and sliding-window size, a multiple of the patch size (0 = the data set's image size, one window)", Min = 0, Max = 1024)]
    public int CropSize { get; init; }

    [SpecField("Another data set to evaluate on (sharded by the evaluation); none = the experiment's")]
    public DatasetSpec? Dataset { get; init; }
}

/// <summary>Recipe names an evaluation spec may use; each protocol's descriptor lists those it accepts.</summary>
public static class EvaluationRecipes
{
    public const string Paper = "paper";
    public const string BeitCode = "beit-code";
    public const string MaskFeatCode = "maskfeat-code";
    public const string Tiny = "tiny";
}
