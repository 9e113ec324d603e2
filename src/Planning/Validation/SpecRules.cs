using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Planning.Validation;

/// <summary>
/// The rules of a spec that need more than the spec: the model preset's shape where the spec leaves it (its patch size
/// must divide every image size, its width its heads), the patch grid the mask ratio leaves visible, the trainer's memory
/// and the data roots (<see cref="SpecLimits"/>). <see cref="ExperimentPlan.Read"/> lists them with the spec's own.
/// A rule whose inputs already broke their own bounds is skipped: it would only restate that problem.
/// </summary>
public static class SpecRules
{
    public static IReadOnlyList<SpecProblem> Check(ExperimentSpec spec, SpecLimits limits)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        var problems = new List<SpecProblem>();
        var outOfBounds = SpecFields.Check(spec).Select(p => p.Field).ToList();
        bool InBounds(params string[] prefixes) => !outOfBounds.Any(field => prefixes.Any(prefix => field.StartsWith(prefix, StringComparison.Ordinal)));

        if (ModelPresets.All.TryGetValue(spec.Model.Preset, out var preset) && InBounds("model.", "dataset.", "masking.", "evaluations["))
        {
            problems.AddRange(ShapeProblems(spec, preset));
            if (problems.Count == 0 && limits.TrainerMemoryBytes is { } limit && InBounds("training.", "target."))
            {
                var estimate = TrainingMemory.Estimate(ExperimentPlan.ResolveModel(spec), spec.Training.BatchSize, spec.Masking.Ratio);
                if (estimate.Total > limit)
                {
                    problems.Add(new SpecProblem("training.batchSize",
                        $"the trainer would need about {estimate} for batches of {spec.Training.BatchSize}, over the limit of "
                        + $"{TrainingMemoryEstimate.Gib(limit)} ({limits.TrainerMemorySource}); use a smaller batchSize (and a larger accumulation) or a smaller model"));
                }
            }
        }
        if (limits.DataRoots is { } roots)
        {
            problems.AddRange(DataPathProblems(spec, roots));
        }
        return problems;
    }

    private static IEnumerable<SpecProblem> ShapeProblems(ExperimentSpec spec, VisionTransformerConfig preset)
    {
        var model = spec.Model;
        string presetName = spec.Model.Preset;
        int patch = model.PatchSize > 0 ? model.PatchSize : preset.PatchSize;
        int embedDim = model.EmbedDim > 0 ? model.EmbedDim : preset.EmbedDim;
        int heads = model.Heads > 0 ? model.Heads : preset.NumHeads;
        int depth = model.Depth > 0 ? model.Depth : preset.Depth;
        string patchOrigin = model.PatchSize > 0 ? "" : $" (the {presetName} preset's; set model.patchSize to change it)";

        // The spec's own rules cover sizes the spec sets; these cover those it takes from the preset.
        if (model.PatchSize == 0 && spec.Dataset.ImageSize % patch != 0)
        {
            yield return new SpecProblem("model.patchSize", $"dataset.imageSize {spec.Dataset.ImageSize} is not a multiple of the patch size {patch}{patchOrigin}");
            yield break;
        }
        if (patch < 2)
        {
            yield return new SpecProblem("model.patchSize", "must be at least 2: HOG cells and the tokenizer's grid are half a patch or more");
            yield break;
        }
        if ((model.EmbedDim == 0 || model.Heads == 0) && embedDim % heads != 0)
        {
            yield return new SpecProblem("model.heads", $"embedDim {embedDim} is not divisible by {heads} heads (the {presetName} preset gives the one not set)");
        }
        int grid = spec.Dataset.ImageSize / patch;
        int patches = grid * grid;
        int masked = MaskCount.For(patches, spec.Masking.Ratio);
        if (masked >= patches)
        {
            yield return new SpecProblem("masking.ratio",
                $"masks all {patches} patches of the {grid}×{grid} grid (ceil({patches} × {spec.Masking.Ratio})); at least one must stay visible");
        }
        for (int i = 0; i < spec.Evaluations.Count; i++)
        {
            var evaluation = spec.Evaluations[i];
            string at = $"evaluations[{i}]";
            if (model.PatchSize == 0 && evaluation.Dataset is { } other && other.ImageSize % patch != 0)
            {
                yield return new SpecProblem($"{at}.dataset.imageSize", $"{other.ImageSize} is not a multiple of the patch size {patch}{patchOrigin}");
            }
            if (model.PatchSize == 0 && evaluation.CropSize % patch != 0)
            {
                yield return new SpecProblem($"{at}.cropSize", $"{evaluation.CropSize} is not a multiple of the patch size {patch}{patchOrigin}");
            }
            if (model.Depth == 0 && evaluation.Layer > depth)
            {
                yield return new SpecProblem($"{at}.layer", $"must lie in [0, {depth}], the {presetName} preset's depth (got {evaluation.Layer})");
            }
        }
    }

    private static IEnumerable<SpecProblem> DataPathProblems(ExperimentSpec spec, IReadOnlyList<string> roots)
    {
        var paths = new List<(string Field, string Path)> { ("dataset.source", spec.Dataset.Source), ("target.dalleWeights", spec.Target.DalleWeights) };
        paths.AddRange(spec.Evaluations.Select((e, i) => ($"evaluations[{i}].dataset.source", e.Dataset?.Source ?? "")));
        foreach (var (field, path) in paths.Where(p => p.Path.Length > 0))
        {
            if (!DataRoots.Contain(roots, path))
            {
                string allowed = roots.Count == 0 ? "no data roots are configured (Data:Roots), so only built-in data sets can be used"
                    : $"this platform reads data only under {string.Join(", ", roots)} (Data:Roots)";
                yield return new SpecProblem(field, $"{SpecText.Quote(path)} lies outside the data roots: {allowed}");
            }
        }
    }
}
