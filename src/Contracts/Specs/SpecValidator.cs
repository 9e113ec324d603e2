using System.Text.RegularExpressions;
using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Contracts.Specs;

/// <summary>The rules a parsed spec must satisfy, each broken rule reported with its field.</summary>
public static partial class SpecValidator
{
    private static readonly string[] Presets = ["tiny", "small", "base"];

    public static IReadOnlyList<SpecProblem> Validate(ExperimentSpec spec)
    {
        var problems = new List<SpecProblem>();
        void Check(bool ok, string field, string reason)
        {
            if (!ok)
            {
                problems.Add(new SpecProblem(field, reason));
            }
        }

        Check(SafeName().IsMatch(spec.Name), "name",
            $"'{spec.Name}' must be 1–63 lower-case letters, digits or dashes, starting with a letter or digit (it names folders and objects)");

        var data = spec.Dataset;
        ValidateDataset(data, "dataset", Check);

        var model = spec.Model;
        Check(Presets.Contains(model.Preset), "model.preset", $"'{model.Preset}' is not one of {string.Join(", ", Presets)}");
        foreach (var (field, value) in new[] { ("patchSize", model.PatchSize), ("embedDim", model.EmbedDim), ("depth", model.Depth), ("heads", model.Heads), ("mlpDim", model.MlpDim), ("proxies", model.Proxies) })
        {
            Check(value >= 0, $"model.{field}", $"must not be negative (got {value})");
        }
        Check(model.PatchSize == 0 || data.ImageSize % model.PatchSize == 0, "model.patchSize",
            $"dataset.imageSize {data.ImageSize} is not a multiple of the patch size {model.PatchSize}");
        Check(model.EmbedDim == 0 || model.Heads == 0 || model.EmbedDim % model.Heads == 0, "model.heads",
            $"embedDim {model.EmbedDim} is not divisible by {model.Heads} heads");
        Check(model.DropPath is >= 0 and < 1, "model.dropPath", $"must lie in [0, 1) (got {model.DropPath})");
        Check(spec.Method != MethodKind.Baseline || model.Proxies <= 1, "model.proxies",
            "the baseline has one class token; proxies are SemanticMIM's (use method: semanticMim)");

        Check(spec.Masking.Ratio is > 0 and < 1, "masking.ratio", $"must lie in (0, 1) (got {spec.Masking.Ratio})");

        var target = spec.Target;
        Check(target.Views is >= 1 and <= 64, "target.views", $"must lie in [1, 64] (got {target.Views})");
        Check(target.TokenizerSteps is >= 1 and <= 1_000_000, "target.tokenizerSteps", $"must lie in [1, 1000000] (got {target.TokenizerSteps})");
        Check(target.VocabSize is >= 2 and <= 65536, "target.vocabSize", $"must lie in [2, 65536] (got {target.VocabSize})");
        Check(target.Kind != TargetKindSpec.Tokens || target.Tokenizer != TokenizerKind.Dalle || target.DalleWeights.Length > 0,
            "target.dalleWeights", "is required when the tokenizer is dalle");

        var training = spec.Training;
        Check((training.Steps > 0) ^ (training.Epochs > 0), "training", "set exactly one of steps and epochs, positive");
        Check(training.Steps >= 0, "training.steps", "must not be negative");
        Check(training.Epochs >= 0, "training.epochs", "must not be negative");
        Check(training.BatchSize > 0, "training.batchSize", $"must be positive (got {training.BatchSize})");
        Check(training.Accumulation > 0, "training.accumulation", $"must be positive (got {training.Accumulation})");
        Check(training.LearningRate > 0, "training.learningRate", $"must be positive (got {training.LearningRate})");
        Check(training.MinLearningRate >= 0 && training.MinLearningRate <= training.LearningRate, "training.minLearningRate",
            "must lie in [0, learningRate]");
        Check(training.WarmupFraction is >= 0 and < 1, "training.warmupFraction", $"must lie in [0, 1) (got {training.WarmupFraction})");
        Check(training.WeightDecay >= 0, "training.weightDecay", "must not be negative");
        Check(training.Beta1 is >= 0 and < 1, "training.beta1", "must lie in [0, 1)");
        Check(training.Beta2 is >= 0 and < 1, "training.beta2", "must lie in [0, 1)");
        Check(training.GradClip >= 0, "training.gradClip", "must not be negative (0 turns clipping off)");
        Check(training.CheckpointEvery >= 0, "training.checkpointEvery", "must not be negative");
        Check(Enum.IsDefined(training.Precision), "training.precision", $"'{training.Precision}' is not one of fp32, bf16");

        var augmentation = spec.Augmentation;
        Check(augmentation.MinScale > 0 && augmentation.MinScale <= augmentation.MaxScale && augmentation.MaxScale <= 1,
            "augmentation", $"need 0 < minScale ≤ maxScale ≤ 1 (got {augmentation.MinScale}, {augmentation.MaxScale})");

        for (int i = 0; i < spec.Evaluations.Count; i++)
        {
            var evaluation = spec.Evaluations[i];
            string at = $"evaluations[{i}]";
            var protocol = EvaluationProtocolDescriptors.Find(evaluation.Protocol);
            Check(protocol is not null, $"{at}.protocol", $"'{evaluation.Protocol}' is not one of {EvaluationProtocolDescriptors.Names}");
            Check(evaluation.Epochs >= 0, $"{at}.epochs", $"must not be negative (got {evaluation.Epochs}; 0 = the protocol's)");
            Check(evaluation.Iterations >= 0, $"{at}.iterations", $"must not be negative (got {evaluation.Iterations}; 0 = the recipe's)");
            Check(evaluation.BatchSize >= 0, $"{at}.batchSize", $"must not be negative (got {evaluation.BatchSize}; 0 = the protocol's)");
            Check(evaluation.LearningRate >= 0, $"{at}.learningRate", $"must not be negative (got {evaluation.LearningRate}; 0 = the protocol's)");
            Check(evaluation.Layer >= 0 && (model.Depth == 0 || evaluation.Layer <= model.Depth), $"{at}.layer",
                $"must lie in [0, depth] (got {evaluation.Layer}; 0 = the protocol's)");
            Check(evaluation.CropSize >= 0, $"{at}.cropSize", $"must not be negative (got {evaluation.CropSize})");
            var evaluated = evaluation.Dataset ?? data;
            if (evaluation.Dataset is not null)
            {
                ValidateDataset(evaluation.Dataset, $"{at}.dataset", Check);
                Check(evaluation.Dataset.Channels == data.Channels, $"{at}.dataset.channels",
                    $"must match the pretraining data's {data.Channels} channel(s) (got {evaluation.Dataset.Channels})");
                Check(model.PatchSize == 0 || evaluation.Dataset.ImageSize % model.PatchSize == 0, $"{at}.dataset.imageSize",
                    $"{evaluation.Dataset.ImageSize} is not a multiple of the patch size {model.PatchSize}");
            }
            Check(evaluation.CropSize == 0 || (evaluation.CropSize <= evaluated.ImageSize && (model.PatchSize == 0 || evaluation.CropSize % model.PatchSize == 0)),
                $"{at}.cropSize", $"must be at most the data set's image size {evaluated.ImageSize} and a multiple of the patch size");
            if (protocol is not null)
            {
                problems.AddRange(ProtocolProblems(protocol, evaluation, evaluated, at));
            }
        }
        return problems;
    }

    private static void ValidateDataset(DatasetSpec data, string at, Action<bool, string, string> check)
    {
        check(data.ImageSize is >= 8 and <= 1024, $"{at}.imageSize", $"must lie in [8, 1024] (got {data.ImageSize})");
        check(data.Channels is 1 or 3, $"{at}.channels", $"must be 1 or 3 (got {data.Channels})");
        check(data.MaxTrainSamples >= 0, $"{at}.maxTrainSamples", "must not be negative");
        check(data.MaxTestSamples >= 0, $"{at}.maxTestSamples", "must not be negative");
        check(data.ShardSize > 0, $"{at}.shardSize", $"must be positive (got {data.ShardSize})");
        check(!data.Source.Contains("..", StringComparison.Ordinal), $"{at}.source", "must not contain '..'");
        bool needsSource = data.Kind is DatasetKind.ImageNet or DatasetKind.PascalVoc or DatasetKind.Ade20k;
        check(!needsSource || data.Source.Length > 0, $"{at}.source", $"is required for {data.Kind}");
        check(data.Kind != DatasetKind.FashionMnist || data.Channels == 1, $"{at}.channels", "Fashion-MNIST is grayscale: use 1");
    }

    /// <summary>The options only some protocols read, how a spec names each, and whether an evaluation sets it.</summary>
    private static readonly (EvaluationOption Option, string Field, Func<EvaluationSpec, bool> IsSet)[] ProtocolOptions =
    [
        (EvaluationOption.Epochs, "epochs", e => e.Epochs != 0),
        (EvaluationOption.Iterations, "iterations", e => e.Iterations != 0),
        (EvaluationOption.BatchSize, "batchSize", e => e.BatchSize != 0),
        (EvaluationOption.LearningRate, "learningRate", e => e.LearningRate != 0),
        (EvaluationOption.Layer, "layer", e => e.Layer != 0),
        (EvaluationOption.Augment, "augment", e => e.Augment),
        (EvaluationOption.CropSize, "cropSize", e => e.CropSize != 0),
    ];

    /// <summary>The rules an evaluation's protocol sets: the options it reads, its recipes, the labels it needs, its own rules.</summary>
    private static IEnumerable<SpecProblem> ProtocolProblems(EvaluationProtocolDescriptor protocol, EvaluationSpec evaluation, DatasetSpec evaluated, string at)
    {
        // Rules about the protocol as a whole name it capitalised (LinearProbe), as they did when protocols were an enum.
        string title = char.ToUpperInvariant(protocol.SpecName[0]) + protocol.SpecName[1..];
        foreach (var (option, field, isSet) in ProtocolOptions)
        {
            if (isSet(evaluation) && !protocol.Options.Contains(option))
            {
                yield return new SpecProblem($"{at}.{field}", AppliesOnlyTo(option));
            }
        }
        if (evaluation.Recipe.Length > 0 && !protocol.Recipes.Contains(evaluation.Recipe))
        {
            yield return new SpecProblem($"{at}.recipe", protocol.Recipes.Count == 0
                ? $"the {title} protocol has no named recipes (got '{evaluation.Recipe}')"
                : $"'{evaluation.Recipe}' is not one of {string.Join(", ", protocol.Recipes)}");
        }
        if (DatasetLabels.Of(evaluated.Kind) != protocol.Labels)
        {
            yield return new SpecProblem($"{at}.protocol", $"{title} needs a data set with {DatasetLabels.Describe(protocol.Labels)}, not {evaluated.Kind}");
        }
        foreach (var problem in protocol.Validate(evaluation, at))
        {
            yield return problem;
        }
    }

    /// <summary>"applies to the X protocol only", naming every registered protocol that reads the option.</summary>
    private static string AppliesOnlyTo(EvaluationOption option)
    {
        var names = EvaluationProtocolDescriptors.All.Where(d => d.Options.Contains(option)).Select(d => d.SpecName).ToArray();
        return names.Length switch
        {
            0 => "applies to no registered protocol",
            1 => $"applies to the {names[0]} protocol only",
            _ => $"applies to the {string.Join(", ", names[..^1])} and {names[^1]} protocols only",
        };
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex SafeName();
}
