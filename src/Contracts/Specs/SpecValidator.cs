using System.Text.RegularExpressions;
using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Contracts.Specs;

/// <summary>
/// The rules a parsed spec must satisfy, each broken rule reported with its field: every field's bounds
/// (<see cref="SpecFields"/>), then the rules between fields. Rules that need a model preset's shape or the platform's
/// limits (memory, data roots) are the planner's (<c>SemanticMIM.Planning.SpecRules</c>), run with these by the one
/// validation every entry point uses (<c>ExperimentPlan.Read</c>).
/// </summary>
public static partial class SpecValidator
{
    private static readonly string[] Presets = ["tiny", "small", "base"];

    public static IReadOnlyList<SpecProblem> Validate(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = new List<SpecProblem>();
        void Check(bool ok, string field, string reason)
        {
            if (!ok)
            {
                problems.Add(new SpecProblem(field, reason));
            }
        }

        Check(SafeName().IsMatch(spec.Name), "name",
            $"{SpecText.Quote(spec.Name)} must be 1–63 lower-case letters, digits or dashes, starting and ending with a letter or digit "
            + "(it names folders, objects and metric labels)");
        problems.AddRange(SpecFields.Check(spec).Where(p => p.Field != "name"));

        var data = spec.Dataset;
        ValidateDataset(data, "dataset", Check);

        var model = spec.Model;
        Check(Presets.Contains(model.Preset), "model.preset", $"{SpecText.Quote(model.Preset)} is not one of {string.Join(", ", Presets)}");
        Check(model.PatchSize == 0 || data.ImageSize % model.PatchSize == 0, "model.patchSize",
            $"dataset.imageSize {data.ImageSize} is not a multiple of the patch size {model.PatchSize}");
        Check(model.EmbedDim == 0 || model.Heads == 0 || model.EmbedDim % model.Heads == 0, "model.heads",
            $"embedDim {model.EmbedDim} is not divisible by {model.Heads} heads");
        Check(spec.Method != MethodKind.Baseline || model.Proxies <= 1, "model.proxies",
            "the baseline has one class token; proxies are SemanticMIM's (use method: semanticMim)");

        var target = spec.Target;
        Check(target.Kind != TargetKindSpec.Tokens || target.Tokenizer != TokenizerKind.Dalle || target.DalleWeights.Length > 0,
            "target.dalleWeights", "is required when the tokenizer is dalle");

        var training = spec.Training;
        Check((training.Steps > 0) ^ (training.Epochs > 0), "training", "set exactly one of steps and epochs, positive");
        Check(training.MinLearningRate <= training.LearningRate, "training.minLearningRate",
            $"must lie in [0, learningRate] (got {SpecText.Number(training.MinLearningRate)} above {SpecText.Number(training.LearningRate)})");

        var augmentation = spec.Augmentation;
        Check(augmentation.MinScale <= augmentation.MaxScale, "augmentation",
            $"need 0 < minScale ≤ maxScale ≤ 1 (got {SpecText.Number(augmentation.MinScale)}, {SpecText.Number(augmentation.MaxScale)})");

        for (int i = 0; i < spec.Evaluations.Count; i++)
        {
            var evaluation = spec.Evaluations[i];
            string at = $"evaluations[{i}]";
            var protocol = EvaluationProtocolDescriptors.Find(evaluation.Protocol);
            Check(protocol is not null, $"{at}.protocol", $"{SpecText.Quote(evaluation.Protocol)} is not one of {EvaluationProtocolDescriptors.Names}");
            Check(model.Depth == 0 || evaluation.Layer <= model.Depth, $"{at}.layer",
                $"must lie in [0, depth] (got {evaluation.Layer}; 0 = the protocol's)");
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
        check(data.Channels is 1 or 3, $"{at}.channels", $"must be 1 or 3 (got {data.Channels})");
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

    // A Kubernetes label value and an object key segment; \z, since '$' would also accept a final line feed.
    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
