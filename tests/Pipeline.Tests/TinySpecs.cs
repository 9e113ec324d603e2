using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Pipeline.Tests;

/// <summary>Experiment specs small enough to run end to end in seconds on two cores.</summary>
internal static class TinySpecs
{
    public static ExperimentSpec FashionMnist(string name, TargetKindSpec target = TargetKindSpec.Hog, MethodKind method = MethodKind.SemanticMim) => new()
    {
        Name = name,
        Dataset = new DatasetSpec { Kind = DatasetKind.FashionMnist, ImageSize = 28, Channels = 1, MaxTrainSamples = 96, MaxTestSamples = 40, ShardSize = 40 },
        Method = method,
        Target = new TargetSpec { Kind = target, Views = 2, VocabSize = 32, TokenizerSteps = 4 },
        Model = new ModelSpec { Preset = "tiny", EmbedDim = 32, Heads = 2, MlpDim = 64, Depth = 2, Proxies = method == MethodKind.SemanticMim ? 4 : 1 },
        Masking = new MaskingSpec { Ratio = 0.6 },
        Training = new TrainingSpec { Steps = 6, BatchSize = 16, CheckpointEvery = 2, Seed = 3 },
        Evaluations = [new EvaluationSpec { Protocol = LinearProbeDescriptor.Name, Epochs = 2, BatchSize = 32 }],
    };

    public static ExperimentSpec SyntheticScenes(string name) => FashionMnist(name) with
    {
        Dataset = new DatasetSpec { Kind = DatasetKind.SyntheticScenes, ImageSize = 32, Channels = 3, MaxTrainSamples = 48, MaxTestSamples = 16, ShardSize = 24 },
        Evaluations = [new EvaluationSpec { Protocol = SegmentationProbeDescriptor.Name, Epochs = 2, BatchSize = 16, LearningRate = 0.01 }],
    };
}
