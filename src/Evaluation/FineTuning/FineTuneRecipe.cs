using SemanticMIM.Contracts.Specs;
using System.Globalization;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// Every setting of an IN-1K fine-tuning run (spec (f) and pitfall 6). The presets are <see cref="Paper"/> (paper
/// Table 3), <see cref="BeitCode"/> and <see cref="MaskFeatCode"/> (the official <c>beit_cls_ft.py</c> and
/// <c>maskfeat_cls_ft.py</c>); <see cref="Named"/> selects one by name, <see cref="WithEpochs"/> shortens one.
/// </summary>
public sealed record FineTuneRecipe
{
    public const string PaperName = EvaluationRecipes.Paper;
    public const string BeitCodeName = EvaluationRecipes.BeitCode;
    public const string MaskFeatCodeName = EvaluationRecipes.MaskFeatCode;

    public required string Name { get; init; }

    public int Epochs { get; init; } = 100;

    /// <summary>Global batch size: the official runs use 1024 (128 × 8 GPUs).</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>Peak learning rate of the last layers and the head (layer-decay scale 1).</summary>
    public double LearningRate { get; init; } = 4e-3;

    /// <summary>Where the cosine ends after the last step.</summary>
    public double MinLearningRate { get; init; }

    /// <summary>Linear warmup from 1e-4 of the peak, in epochs (fractions allowed); 0 = start at the peak.</summary>
    public double WarmupEpochs { get; init; }

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Layer-wise learning-rate decay (<see cref="FineTuning.LayerDecay"/>); 1 = none.</summary>
    public double LayerDecay { get; init; } = 1;

    /// <summary>Stochastic-depth rate of the last block (linspace over the blocks).</summary>
    public double DropPath { get; init; } = 0.1;

    public double LabelSmoothing { get; init; }

    /// <summary>Mixup's Beta alpha; 0 = off.</summary>
    public double Mixup { get; init; }

    /// <summary>CutMix's Beta alpha; 0 = off.</summary>
    public double CutMix { get; init; }

    /// <summary>timm's rand-m9-n2-mstd0.5-inc1.</summary>
    public bool RandAugment { get; init; }

    /// <summary>torchvision ColorJitter strength for brightness, contrast and saturation; 0 = off.</summary>
    public double ColorJitter { get; init; }

    /// <summary>RandomErasing probability; 0 = off.</summary>
    public double RandomErasing { get; init; }

    /// <summary>Smallest area fraction of RandomResizedCrop (the largest is 1).</summary>
    public double MinScale { get; init; } = 0.08;

    /// <summary>Standard deviation of the head's truncated-normal weight initialisation.</summary>
    public double HeadInitStd { get; init; } = 0.02;

    public (double Beta1, double Beta2) Betas { get; init; } = (0.9, 0.999);

    /// <summary>
    /// Paper Table 3: 100 epochs, batch 1024, lr 4e-3 cosine to 0 without warmup, wd 1e-4, drop path 0.1,
    /// RandomResizedCrop(0.08, 1) and flip only. The paper gives no head initialisation; 0.02 as the BEiT config.
    /// </summary>
    public static FineTuneRecipe Paper { get; } = new() { Name = PaperName };

    /// <summary>
    /// The official <c>beit_cls_ft.py</c>: lr 4e-3, wd 0.05, layer decay 0.65, 20 warmup epochs of 100, cosine to
    /// 1e-6, label smoothing 0.1, Mixup 0.8, CutMix 1.0, RandAugment, RandomErasing 0.25, drop path 0.1, head std 0.02.
    /// </summary>
    public static FineTuneRecipe BeitCode { get; } = new()
    {
        Name = BeitCodeName,
        MinLearningRate = 1e-6,
        WarmupEpochs = 20,
        WeightDecay = 0.05,
        LayerDecay = 0.65,
        LabelSmoothing = 0.1,
        Mixup = 0.8,
        CutMix = 1.0,
        RandAugment = true,
        RandomErasing = 0.25,
    };

    /// <summary>
    /// The official <c>maskfeat_cls_ft.py</c>: as <see cref="BeitCode"/> with lr 8e-3, colour jitter 0.4 and head
    /// std 2e-5. (That config loads 256 images per GPU without saying how many GPUs; the batch stays 1024.)
    /// </summary>
    public static FineTuneRecipe MaskFeatCode { get; } = BeitCode with
    {
        Name = MaskFeatCodeName,
        LearningRate = 8e-3,
        ColorJitter = 0.4,
        HeadInitStd = 2e-5,
    };

    private static readonly FineTuneRecipe[] Presets = [Paper, BeitCode, MaskFeatCode];

    /// <summary>The preset names <see cref="Named"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = Presets.Select(p => p.Name).ToArray();

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No preset has that name; the message lists the valid ones.</exception>
    public static FineTuneRecipe Named(string name) =>
        Presets.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(
            $"unknown fine-tuning recipe '{name}'; valid names: {string.Join(", ", Names)}", nameof(name));

    /// <summary>This recipe over <paramref name="epochs"/> epochs, the warmup scaled by the same factor.</summary>
    public FineTuneRecipe WithEpochs(int epochs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        return this with { Epochs = epochs, WarmupEpochs = WarmupEpochs * epochs / Epochs };
    }

    /// <summary>Every problem with this recipe, empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Require(bool valid, string problem)
        {
            if (!valid)
            {
                problems.Add(problem);
            }
        }

        Require(Epochs >= 1, $"{nameof(Epochs)} must be at least 1 (got {Epochs})");
        Require(BatchSize >= 1, $"{nameof(BatchSize)} must be at least 1 (got {BatchSize})");
        Require(LearningRate > 0, $"{nameof(LearningRate)} must be positive (got {LearningRate})");
        Require(MinLearningRate >= 0 && MinLearningRate <= LearningRate, $"{nameof(MinLearningRate)} must lie in [0, {nameof(LearningRate)}] (got {MinLearningRate})");
        Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, $"{nameof(WarmupEpochs)} must lie in [0, {nameof(Epochs)}) (got {WarmupEpochs})");
        Require(WeightDecay >= 0, $"{nameof(WeightDecay)} must not be negative (got {WeightDecay})");
        Require(LayerDecay > 0 && LayerDecay <= 1, $"{nameof(LayerDecay)} must lie in (0, 1] (got {LayerDecay})");
        Require(DropPath >= 0 && DropPath < 1, $"{nameof(DropPath)} must lie in [0, 1) (got {DropPath})");
        Require(LabelSmoothing >= 0 && LabelSmoothing < 1, $"{nameof(LabelSmoothing)} must lie in [0, 1) (got {LabelSmoothing})");
        Require(Mixup >= 0 && CutMix >= 0, $"{nameof(Mixup)} and {nameof(CutMix)} alphas must not be negative (got {Mixup}, {CutMix})");
        Require(ColorJitter >= 0, $"{nameof(ColorJitter)} must not be negative (got {ColorJitter})");
        Require(RandomErasing >= 0 && RandomErasing <= 1, $"{nameof(RandomErasing)} must lie in [0, 1] (got {RandomErasing})");
        Require(MinScale > 0 && MinScale <= 1, $"{nameof(MinScale)} must lie in (0, 1] (got {MinScale})");
        Require(HeadInitStd > 0, $"{nameof(HeadInitStd)} must be positive (got {HeadInitStd})");
        Require(Betas.Beta1 >= 0 && Betas.Beta1 < 1 && Betas.Beta2 >= 0 && Betas.Beta2 < 1, $"{nameof(Betas)} must lie in [0, 1) (got {Betas})");
        return problems;
    }

    /// <summary>Throws with every problem listed when the recipe is invalid.</summary>
    public void EnsureValid()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"invalid fine-tuning recipe '{Name}': " + string.Join("; ", problems));
        }
    }

    /// <summary>
    /// One line naming every setting, then, for a recipe named after a preset, each setting that differs from that
    /// preset (e.g. epochs scaled down); for results files.
    /// </summary>
    public string Describe()
    {
        var settings = Settings();
        return $"{Name}: {string.Join(", ", settings.Select(s => $"{s.Key} {s.Value}"))}; {Deviations(settings)}";
    }

    private string Deviations(KeyValuePair<string, string>[] settings)
    {
        var preset = Presets.FirstOrDefault(p => p.Name == Name);
        if (preset is null)
        {
            return "custom recipe, no preset of that name";
        }
        var changes = preset.Settings().Zip(settings)
            .Where(pair => pair.First.Value != pair.Second.Value)
            .Select(pair => $"{pair.First.Key} {pair.First.Value} → {pair.Second.Value}")
            .ToArray();
        return changes.Length == 0 ? $"as the {Name} preset" : $"changed from the {Name} preset: {string.Join(", ", changes)}";
    }

    private KeyValuePair<string, string>[] Settings() =>
    [
        new("epochs", Format(Epochs)),
        new("batch", Format(BatchSize)),
        new("AdamW lr", Format(LearningRate)),
        new("cosine to", Format(MinLearningRate)),
        new("warmup epochs", Format(WarmupEpochs)),
        new("weight decay", Format(WeightDecay)),
        new("layer decay", LayerDecay == 1 ? "none" : Format(LayerDecay)),
        new("betas", $"({Format(Betas.Beta1)}, {Format(Betas.Beta2)})"),
        new("drop path", Format(DropPath)),
        new("label smoothing", Format(LabelSmoothing)),
        new("mixup", Mixup > 0 ? Format(Mixup) : "off"),
        new("cutmix", CutMix > 0 ? Format(CutMix) : "off"),
        new("randaugment", RandAugment ? "rand-m9-n2-mstd0.5-inc1" : "off"),
        new("colour jitter", ColorJitter > 0 ? Format(ColorJitter) : "off"),
        new("random erasing", RandomErasing > 0 ? Format(RandomErasing) : "off"),
        new("crop scale", $"({Format(MinScale)}, 1) + flip"),
        new("head init std", Format(HeadInitStd)),
    ];

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
