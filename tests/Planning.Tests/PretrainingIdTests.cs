using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Planning.Tests;

/// <summary>
/// <see cref="ExperimentPlan.PretrainingId"/> names the pretraining experiments share: every setting that shapes the
/// encoder changes it, and nothing else does. Each field of the training, model, masking and augmentation sections is
/// placed on one side; a field added later fails <see cref="Every_training_model_masking_and_augmentation_field_is_placed"/>
/// until it is.
/// </summary>
public sealed class PretrainingIdTests
{
    private static readonly ExperimentSpec Base = SpecReader.Read("""
        name: base
        dataset: { kind: fashionMnist, imageSize: 28, channels: 1, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        method: semanticMim
        target: { kind: hog, views: 2 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
        masking: { ratio: 0.6 }
        training: { steps: 4, batchSize: 16, checkpointEvery: 2, seed: 1 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """);

    private static readonly Dictionary<string, Func<ExperimentSpec, ExperimentSpec>> Shaping = new()
    {
        ["training.steps"] = s => s with { Training = s.Training with { Steps = 5 } },
        ["training.epochs"] = s => s with { Training = s.Training with { Steps = 0, Epochs = 1 } },
        ["training.batchSize"] = s => s with { Training = s.Training with { BatchSize = 8 } },
        ["training.accumulation"] = s => s with { Training = s.Training with { Accumulation = 2 } },
        ["training.learningRate"] = s => s with { Training = s.Training with { LearningRate = 1e-3 } },
        ["training.minLearningRate"] = s => s with { Training = s.Training with { MinLearningRate = 1e-5 } },
        ["training.warmupFraction"] = s => s with { Training = s.Training with { WarmupFraction = 0.1 } },
        ["training.weightDecay"] = s => s with { Training = s.Training with { WeightDecay = 0.01 } },
        ["training.beta1"] = s => s with { Training = s.Training with { Beta1 = 0.8 } },
        ["training.beta2"] = s => s with { Training = s.Training with { Beta2 = 0.99 } },
        ["training.gradClip"] = s => s with { Training = s.Training with { GradClip = 1 } },
        ["training.seed"] = s => s with { Training = s.Training with { Seed = 2 } },
        ["training.precision"] = s => s with { Training = s.Training with { Precision = PrecisionKind.Bf16 } },
        ["training.tf32"] = s => s with { Training = s.Training with { Tf32 = false } },
        ["model.patchSize"] = s => s with { Model = s.Model with { PatchSize = 7 } },
        ["model.embedDim"] = s => s with { Model = s.Model with { EmbedDim = 64 } },
        ["model.depth"] = s => s with { Model = s.Model with { Depth = 3 } },
        ["model.heads"] = s => s with { Model = s.Model with { Heads = 4 } },
        ["model.mlpDim"] = s => s with { Model = s.Model with { MlpDim = 128 } },
        ["model.proxies"] = s => s with { Model = s.Model with { Proxies = 2 } },
        ["model.dropPath"] = s => s with { Model = s.Model with { DropPath = 0.1 } },
        ["masking.kind"] = s => s with { Masking = s.Masking with { Kind = MaskingKind.Blockwise } },
        ["masking.ratio"] = s => s with { Masking = s.Masking with { Ratio = 0.4 } },
        ["augmentation.minScale"] = s => s with { Augmentation = s.Augmentation with { MinScale = 0.3 } },
        ["augmentation.maxScale"] = s => s with { Augmentation = s.Augmentation with { MaxScale = 0.9 } },
        ["augmentation.flip"] = s => s with { Augmentation = s.Augmentation with { Flip = false } },
        ["augmentation.seed"] = s => s with { Augmentation = s.Augmentation with { Seed = 9 } },
        ["method"] = s => s with { Method = MethodKind.Baseline, Model = s.Model with { Proxies = 1 } },
        ["target.views"] = s => s with { Target = s.Target with { Views = 3 } },
        ["dataset.maxTrainSamples"] = s => s with { Dataset = s.Dataset with { MaxTrainSamples = 96 } },
    };

    private static readonly Dictionary<string, Func<ExperimentSpec, ExperimentSpec>> NotShaping = new()
    {
        ["name"] = s => s with { Name = "other" },
        ["evaluations[0].epochs"] = s => s with { Evaluations = [s.Evaluations[0] with { Epochs = 1 }] },
        ["evaluations (another protocol added)"] = s => s with { Evaluations = [.. s.Evaluations, new EvaluationSpec { Protocol = FineTuneDescriptor.Name, Epochs = 1, BatchSize = 16 }] },
        // Resuming from a checkpoint gives the same weights, bit for bit: where checkpoints are taken does not shape them.
        ["training.checkpointEvery"] = s => s with { Training = s.Training with { CheckpointEvery = 3 } },
        ["training.checkpointMinutes"] = s => s with { Training = s.Training with { CheckpointMinutes = 1 } },
        // The preset only supplies what the spec does not set: here the spec sets every value it would change.
        ["model.preset"] = s => s with { Model = s.Model with { Preset = "small", PatchSize = 4 } },
    };

    public static TheoryData<string> ShapingFields() => [.. Shaping.Keys];

    public static TheoryData<string> OtherFields() => [.. NotShaping.Keys];

    [Theory]
    [MemberData(nameof(ShapingFields))]
    public void A_setting_that_shapes_the_encoder_gives_another_pretraining(string field) =>
        Assert.NotEqual(Id(Base), Id(Shaping[field](Base)));

    [Theory]
    [MemberData(nameof(OtherFields))]
    public void A_setting_that_does_not_shape_the_encoder_keeps_the_pretraining(string field) =>
        Assert.Equal(Id(Base), Id(NotShaping[field](Base)));

    [Fact]
    public void Every_training_model_masking_and_augmentation_field_is_placed()
    {
        var placed = Shaping.Keys.Concat(NotShaping.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var sections = new (string Section, Type Type)[]
        {
            ("training", typeof(TrainingSpec)), ("model", typeof(ModelSpec)), ("masking", typeof(MaskingSpec)), ("augmentation", typeof(AugmentationSpec)),
        };

        var unplaced = sections.SelectMany(s => s.Type.GetProperties().Select(p => $"{s.Section}.{p.Name}")).Where(field => !placed.Contains(field));

        Assert.Empty(unplaced);
    }

    private static string Id(ExperimentSpec spec) => ExperimentPlan.From(spec).PretrainingId;
}
