using System.Text.Json;
using System.Text.Json.Serialization;

namespace SemanticMIM.Planning.Configs;

/// <summary>
/// The optimisation recipe of one pretraining run (spec (e), (j)). Steps count optimizer updates; each update
/// sees <see cref="BatchSize"/> × <see cref="AccumulationSteps"/> images.
/// </summary>
public sealed record TrainingConfig
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Optimizer updates in the whole run.</summary>
    public int Steps { get; init; } = 750;

    /// <summary>Images per forward pass (micro-batch).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Micro-batches whose gradients are summed (each loss scaled by 1/accum) before one update.</summary>
    public int AccumulationSteps { get; init; } = 1;

    public double PeakLearningRate { get; init; } = 1.5e-3;

    /// <summary>The cosine's floor, reached at the end of the run.</summary>
    public double MinLearningRate { get; init; } = 1e-5;

    /// <summary>Warmup length in updates; when null, <see cref="WarmupFraction"/> of <see cref="Steps"/> is used.</summary>
    public int? WarmupSteps { get; init; }

    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>Warmup starts at this fraction of the peak (1e-4 for BEiT, 1e-6 for MaskFeat).</summary>
    public double WarmupStartFactor { get; init; } = 1e-4;

    public double WeightDecay { get; init; } = 0.05;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Largest global L2 norm of the gradients; 0 turns clipping off (the norm is still reported).</summary>
    public double GradientClipNorm { get; init; } = 3.0;

    /// <summary>Fraction of patches masked per image (n_m = ceil(N·r)).</summary>
    public double MaskRatio { get; init; } = 0.6;

    /// <summary>How the masked patches are chosen (spec (b)): uniformly at random, or in blocks as BEiT does.</summary>
    public MaskingStrategy Masking { get; init; } = MaskingStrategy.Random;

    /// <summary>Seeds torch's global generator before the model is built and the dedicated mask generator.</summary>
    public long Seed { get; init; }

    /// <summary>A checkpoint every this many updates (0: only at the end and by <see cref="CheckpointPeriod"/>).</summary>
    public int CheckpointInterval { get; init; } = 250;

    /// <summary>
    /// A checkpoint whenever this much training time has passed since the last one, whatever the step (zero: none by
    /// time), so that a preempted run loses at most this much work.
    /// </summary>
    public TimeSpan CheckpointPeriod { get; init; } = TimeSpan.FromMinutes(10);

    public WeightDecayRule DecayRule { get; init; } = WeightDecayRule.Beit;

    /// <summary>What the model computes in; the weights the optimizer steps and its moments stay fp32.</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;

    /// <summary>
    /// On CUDA devices, lets fp32 matmuls and convolutions use TF32 tensor cores (cuBLAS and cuDNN); no effect on the CPU.
    /// Off gives full fp32 matmuls, slower but comparable with the CPU to fp32 rounding.
    /// </summary>
    public bool Tf32 { get; init; } = true;

    /// <summary>Images per optimizer update.</summary>
    [JsonIgnore]
    public int EffectiveBatchSize => BatchSize * AccumulationSteps;

    /// <summary>
    /// The warmup length in updates, resolved from <see cref="WarmupSteps"/> or <see cref="WarmupFraction"/>. A fraction
    /// below 1 always leaves the last step to the cosine, however it rounds (0.9999 of 4 steps is 3 steps, not 4).
    /// </summary>
    [JsonIgnore]
    public int ResolvedWarmupSteps => WarmupSteps ?? Math.Min((int)Math.Round(WarmupFraction * Steps), Math.Max(Steps - 1, 0));

    /// <summary>Every problem with this configuration, empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                problems.Add(problem);
            }
        }

        Require(Steps > 0, $"{nameof(Steps)} must be positive (got {Steps})");
        Require(BatchSize > 0, $"{nameof(BatchSize)} must be positive (got {BatchSize})");
        Require(AccumulationSteps > 0, $"{nameof(AccumulationSteps)} must be positive (got {AccumulationSteps})");
        Require(PeakLearningRate > 0, $"{nameof(PeakLearningRate)} must be positive (got {PeakLearningRate})");
        Require(MinLearningRate >= 0 && MinLearningRate <= PeakLearningRate,
            $"{nameof(MinLearningRate)} must lie in [0, {nameof(PeakLearningRate)}] (got {MinLearningRate})");
        Require(WarmupSteps is null or >= 0, $"{nameof(WarmupSteps)} must not be negative (got {WarmupSteps})");
        Require(WarmupFraction is >= 0 and < 1, $"{nameof(WarmupFraction)} must lie in [0, 1) (got {WarmupFraction})");
        Require(Steps <= 0 || ResolvedWarmupSteps < Steps,
            $"the warmup ({ResolvedWarmupSteps} steps) must be shorter than the run ({Steps} steps)");
        Require(WarmupStartFactor is > 0 and <= 1, $"{nameof(WarmupStartFactor)} must lie in (0, 1] (got {WarmupStartFactor})");
        Require(WeightDecay >= 0, $"{nameof(WeightDecay)} must not be negative (got {WeightDecay})");
        Require(Beta1 is >= 0 and < 1, $"{nameof(Beta1)} must lie in [0, 1) (got {Beta1})");
        Require(Beta2 is >= 0 and < 1, $"{nameof(Beta2)} must lie in [0, 1) (got {Beta2})");
        Require(Epsilon > 0, $"{nameof(Epsilon)} must be positive (got {Epsilon})");
        Require(GradientClipNorm >= 0, $"{nameof(GradientClipNorm)} must not be negative (0 is off; got {GradientClipNorm})");
        Require(MaskRatio is > 0 and < 1, $"{nameof(MaskRatio)} must lie in (0, 1) (got {MaskRatio})");
        Require(Enum.IsDefined(Masking), $"{nameof(Masking)} {Masking} is not a known strategy");
        Require(CheckpointInterval >= 0, $"{nameof(CheckpointInterval)} must not be negative (0 is end only; got {CheckpointInterval})");
        Require(CheckpointPeriod >= TimeSpan.Zero, $"{nameof(CheckpointPeriod)} must not be negative (zero is none by time; got {CheckpointPeriod})");
        Require(Enum.IsDefined(DecayRule), $"{nameof(DecayRule)} {DecayRule} is not a known rule");
        Require(Enum.IsDefined(Precision), $"{nameof(Precision)} {Precision} is not a known precision");
        return problems;
    }

    /// <summary>Throws with every problem listed when the configuration is invalid.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid training configuration: " + string.Join("; ", problems));
        }
    }
}
