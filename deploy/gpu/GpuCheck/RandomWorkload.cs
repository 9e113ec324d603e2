using SemanticMIM.Planning.Configs;
using SemanticMIM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.GpuCheck;

/// <summary>
/// Seeded random images and token-id targets held on the CPU, and the recipe the checks train with: what the trainer
/// does per step (batches and masks made on the CPU, moved to the device) without a data set to read.
/// </summary>
internal sealed class RandomWorkload : IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor _targets;

    public RandomWorkload(MimModelConfig model, int samples, ulong seed)
    {
        using var generator = new Generator(seed);
        var encoder = model.Encoder;
        _images = randn([samples, encoder.InChannels, encoder.ImageSize, encoder.ImageSize], generator: generator);
        _targets = randint(0, model.VocabSize, [samples, encoder.NumPatches], generator: generator);
    }

    public InMemoryBatchSource Source() => new(_images, _targets, seed: 1);

    /// <summary>Spec (e)'s BEiT recipe with a one-update warmup; <paramref name="clip"/> 0 leaves gradients as computed.</summary>
    public static TrainingConfig Recipe(int steps, int batch, TrainingPrecision precision, bool tf32, double maskRatio,
        double learningRate = 1.5e-3, double clip = 3.0) => new()
    {
        Steps = steps,
        BatchSize = batch,
        PeakLearningRate = learningRate,
        MinLearningRate = learningRate / 100,
        WarmupSteps = steps > 1 ? 1 : 0,
        GradientClipNorm = clip,
        MaskRatio = maskRatio,
        CheckpointInterval = 0,
        Precision = precision,
        Tf32 = tf32,
    };

    public static TrainingPrecision Precision(string name) => name switch
    {
        "fp32" => TrainingPrecision.Fp32,
        "bf16" => TrainingPrecision.Bf16,
        _ => throw new ArgumentException($"precision must be fp32 or bf16 (got '{name}')"),
    };

    /// <summary>Waits for the device's queued work, so that a clock read after it covers that work.</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }

    public static bool IsOutOfMemory(Exception error) =>
        error.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        _images.Dispose();
        _targets.Dispose();
    }
}
