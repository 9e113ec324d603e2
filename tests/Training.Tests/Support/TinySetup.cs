using SemanticMIM.Model.Targets;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests.Support;

/// <summary>A very small SemanticMIM/HOG model, a seeded synthetic data set and a short recipe, so a step takes milliseconds.</summary>
internal static class TinySetup
{
    public const int Samples = 24;

    public static MimModelConfig Model(BlockFlavour flavour = BlockFlavour.Beit, double dropPath = 0) => new()
    {
        Encoder = new VisionTransformerConfig
        {
            ImageSize = 16, PatchSize = 4, EmbedDim = 32, Depth = 2, NumHeads = 2, MlpDim = 64, NumProxies = 4,
            Flavour = flavour, DropPathRate = dropPath,
        },
        Method = MimMethod.SemanticMim,
        Target = TargetKind.Hog,
    };

    public static TrainingConfig Training(int steps = 8, int batchSize = 4, int accumulation = 1, int checkpointInterval = 0) => new()
    {
        Steps = steps,
        BatchSize = batchSize,
        AccumulationSteps = accumulation,
        PeakLearningRate = 1e-3,
        MinLearningRate = 1e-5,
        WarmupSteps = 2,
        WeightDecay = 0.05,
        GradientClipNorm = 3.0,
        Seed = 7,
        CheckpointInterval = checkpointInterval,
    };

    /// <summary>Seeded images with their HOG targets; the caller disposes the source's tensors with <see cref="Dataset"/>.</summary>
    public static Dataset Data(int seed = 11)
    {
        using var generator = new Generator((ulong)seed);
        var images = randn([Samples, 3, 16, 16], generator: generator);
        var targets = new HogTargetGenerator(HogConfig.ForPatch(4)).Compute(images);
        return new Dataset(images, targets);
    }

    public static Dictionary<string, float[]> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.data<float>().ToArray());

    internal sealed class Dataset(Tensor images, Tensor targets) : IDisposable
    {
        public Tensor Images { get; } = images;

        public Tensor Targets { get; } = targets;

        public InMemoryBatchSource Source(long seed = 3) => new(Images, Targets, seed);

        public void Dispose()
        {
            Images.Dispose();
            Targets.Dispose();
        }
    }
}
