using SemanticMIM.Contracts.Specs.Evaluations;

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

    /// <summary>
    /// <c>fp32</c> (default) or <c>bf16</c>: with bf16 the linear layers, the patch convolution and attention compute in
    /// bf16 while the weights the optimizer steps, its moments and the checkpoints stay fp32, and LayerNorm, the residual
    /// stream and the loss stay fp32 (TorchSharp has no autocast; the model casts per operation as autocast would).
    /// Meant for GPUs with bf16 tensor cores; on a CPU its speed depends on the CPU's bf16 instructions.
    /// </summary>
    public PrecisionKind Precision { get; init; } = PrecisionKind.Fp32;

    /// <summary>
    /// On GPUs, lets fp32 matmuls and convolutions use TF32 tensor cores (default true, as most training code does;
    /// cuBLAS and cuDNN round the inputs to a 10-bit mantissa). false gives full fp32 matmuls. No effect on CPUs.
    /// </summary>
    public bool Tf32 { get; init; } = true;
}

public enum PrecisionKind
{
    Fp32,
    Bf16,
}

public sealed record AugmentationSpec
{
    /// <summary>RandomResizedCrop scale range.</summary>
    public double MinScale { get; init; } = 0.5;

    public double MaxScale { get; init; } = 1.0;

    public bool Flip { get; init; } = true;
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
    /// <summary>
    /// The protocol's registered name: <c>linearProbe</c> (default), <c>fineTune</c>, <c>segmentationProbe</c>,
    /// <c>uperNet</c>. A spec may spell it with any case and dashes (<c>upernet</c>, <c>linear-probe</c>); the reader
    /// stores the registered spelling.
    /// </summary>
    public string Protocol { get; init; } = LinearProbeDescriptor.Name;

    /// <summary>0 = the protocol's: linear probe 60, fine-tuning the recipe's, segmentation probe 25.</summary>
    public int Epochs { get; init; }

    /// <summary>UperNet only: optimiser iterations (0 = the recipe's, 160 000).</summary>
    public int Iterations { get; init; }

    /// <summary>0 = the protocol's: linear probe 1024, fine-tuning the recipe's, segmentation probe 60, UperNet 16.</summary>
    public int BatchSize { get; init; }

    /// <summary>0 = the protocol's: linear probe 4e-3, fine-tuning the recipe's, segmentation probe 0.01·batch/60, UperNet 3e-5.</summary>
    public double LearningRate { get; init; }

    /// <summary>
    /// 1-based encoder layer. Segmentation probe: the probed layer (0 = the official code's, 8 of 12 scaled to the
    /// depth). Linear probe: every layer is probed; this one is reported next to the last (0 = the paper's, 7 of 12).
    /// </summary>
    public int Layer { get; init; }

    /// <summary>
    /// Named recipe: fine-tuning <c>paper</c> (Table 3, default), <c>beit-code</c>, <c>maskfeat-code</c>; UperNet
    /// <c>paper</c> (default) or <c>tiny</c> (narrower heads, higher lr, for encoders far smaller than ViT-B).
    /// </summary>
    public string Recipe { get; init; } = "";

    /// <summary>
    /// Linear probe: train on a fresh RandomResizedCrop + flip view of every image each epoch (the spec's recipe; an
    /// encoder pass per epoch) instead of features of the centre view computed once.
    /// </summary>
    public bool Augment { get; init; }

    /// <summary>UperNet: training crop and sliding-window size (0 = the data set's image size, one window).</summary>
    public int CropSize { get; init; }

    /// <summary>Another data set to evaluate on; null = the experiment's.</summary>
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
