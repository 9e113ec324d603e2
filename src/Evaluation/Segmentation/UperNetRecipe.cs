using SemanticMIM.Contracts.Specs;
using System.Globalization;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// A UperNet fine-tuning recipe (spec (f), ADE20K; [SM] <c>configs_seg/**</c>). <see cref="Paper"/> is the
/// reference config; <see cref="Tiny"/> scales it to 32² crops and small heads for CPU runs. Change settings with
/// <c>with { }</c>; <see cref="Describe"/> names every setting and each difference from the paper.
/// </summary>
public sealed record UperNetRecipe
{
    public const string PaperName = EvaluationRecipes.Paper;
    public const string TinyName = EvaluationRecipes.Tiny;

    /// <summary>crop 640, 160k iterations, batch 16, AdamW 3e-5 / 0.05, layer decay 0.9, warmup 1500 then poly.</summary>
    public static readonly UperNetRecipe Paper = new() { Name = PaperName };

    /// <summary>
    /// Not from the paper: crop 32, 2000 iterations (warmup scaled like them, 1500/160000 → 19), UperHead 64 and
    /// auxiliary 32 channels, lr 1e-4 for encoders a fraction of ViT-B's size. Everything else as the paper.
    /// </summary>
    public static readonly UperNetRecipe Tiny = Paper with
    {
        Name = TinyName,
        CropSize = 32,
        Iterations = 2000,
        WarmupIterations = 19,
        LearningRate = 1e-4,
        DecodeChannels = 64,
        AuxiliaryChannels = 32,
    };

    public static IReadOnlyList<string> Names { get; } = [PaperName, TinyName];

    public required string Name { get; init; }

    /// <summary>Training crop and sliding-window size; the backbone is adapted to it.</summary>
    public int CropSize { get; init; } = 640;

    public int Iterations { get; init; } = 160_000;

    public int BatchSize { get; init; } = 16;

    /// <summary>Peak learning rate of the neck and heads; backbone layers get it times their layer-decay scale.</summary>
    public double LearningRate { get; init; } = 3e-5;

    public double WeightDecay { get; init; } = 0.05;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Layer-wise decay: layer id i gets rate^(depth + 1 − i) (<see cref="LayerDecay"/>).</summary>
    public double LayerDecayRate { get; init; } = 0.9;

    public int WarmupIterations { get; init; } = 1500;

    public double WarmupStartFactor { get; init; } = 1e-6;

    public double PolyPower { get; init; } = 1.0;

    public double MinLearningRate { get; init; }

    public double DropPathRate { get; init; } = 0.1;

    public int DecodeChannels { get; init; } = 768;

    public IReadOnlyList<int> PoolScales { get; init; } = [1, 2, 3, 6];

    public int AuxiliaryChannels { get; init; } = 256;

    public double AuxiliaryLossWeight { get; init; } = 0.4;

    /// <summary>Dropout2d before both heads' <c>conv_seg</c>.</summary>
    public double DropoutRate { get; init; } = 0.1;

    /// <summary>The resize scale is (LongEdgeFactor · crop, crop): (2560, 640) for the paper's crop.</summary>
    public int LongEdgeFactor { get; init; } = 4;

    public double ResizeRatioMin { get; init; } = 0.5;

    public double ResizeRatioMax { get; init; } = 2.0;

    /// <summary>A random crop is redrawn (up to 10 times) while one class covers this share of its labelled pixels.</summary>
    public double CatMaxRatio { get; init; } = 0.75;

    public double FlipProbability { get; init; } = 0.5;

    /// <summary>mmseg's 32 grey levels of 255, on [0, 1] images.</summary>
    public double BrightnessDelta { get; init; } = 32.0 / 255;

    public double ContrastLower { get; init; } = 0.5;

    public double ContrastUpper { get; init; } = 1.5;

    public double SaturationLower { get; init; } = 0.5;

    public double SaturationUpper { get; init; } = 1.5;

    /// <summary>Largest hue shift in OpenCV's 8-bit hue units (180 per turn, so 18 units = 36°), as mmseg.</summary>
    public int HueDelta { get; init; } = 18;

    /// <summary>Sliding-window stride as a share of the crop: 426/640.</summary>
    public double TestStrideFraction { get; init; } = 426.0 / 640;

    public int TestStride => (int)Math.Round(CropSize * TestStrideFraction, MidpointRounding.AwayFromZero);

    /// <summary>The recipe called <paramref name="name"/> (case-insensitive); throws listing the valid names.</summary>
    public static UperNetRecipe Named(string name) => name.ToLowerInvariant() switch
    {
        PaperName => Paper,
        TinyName => Tiny,
        _ => throw new ArgumentException(
            $"unknown UperNet recipe '{name}'; valid names: {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>Every problem with this recipe for an encoder with <paramref name="patchSize"/>, empty when valid.</summary>
    public IReadOnlyList<string> Validate(int patchSize)
    {
        var problems = new List<string>();
        if (CropSize < 1 || CropSize % patchSize != 0)
        {
            problems.Add($"{nameof(CropSize)} {CropSize} is not a positive multiple of the patch size {patchSize}");
        }
        if (Iterations < 1)
        {
            problems.Add($"{nameof(Iterations)} must be positive (got {Iterations})");
        }
        if (BatchSize < 2)
        {
            problems.Add($"{nameof(BatchSize)} must be at least 2: BatchNorm after the 1×1 pyramid pooling needs two values per channel (got {BatchSize})");
        }
        if (WarmupIterations < 0 || WarmupIterations >= Iterations)
        {
            problems.Add($"{nameof(WarmupIterations)} must lie in [0, {nameof(Iterations)}) (got {WarmupIterations})");
        }
        if (TestStride < 1 || TestStride > CropSize)
        {
            problems.Add($"the sliding-window stride {TestStride} must lie in [1, {nameof(CropSize)}]");
        }
        if (ResizeRatioMin <= 0 || ResizeRatioMax < ResizeRatioMin)
        {
            problems.Add($"resize ratios [{ResizeRatioMin}, {ResizeRatioMax}] must be positive and ordered");
        }
        if (PoolScales.Count == 0 || PoolScales.Any(scale => scale < 1))
        {
            problems.Add($"{nameof(PoolScales)} must be a non-empty list of positive sizes");
        }
        return problems;
    }

    public void EnsureValid(int patchSize)
    {
        var problems = Validate(patchSize);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"invalid UperNet recipe '{Name}': " + string.Join("; ", problems));
        }
    }

    /// <summary>One line naming every setting, then each setting that differs from the paper and the fixed deviations.</summary>
    public string Describe()
    {
        var settings = Settings(this);
        var paper = Settings(Paper);
        var differences = settings
            .Where(setting => setting.Value != paper[setting.Key])
            .Select(setting => $"{setting.Key} {paper[setting.Key]} → {setting.Value}");
        string[] fixedDeviations =
        [
            "BatchNorm instead of SyncBN",
            "windows smaller than the crop zero-padded (after normalisation) to it",
        ];
        return $"{Name}: {string.Join(", ", settings.Select(s => $"{s.Key} {s.Value}"))}; " +
            $"deviations from the paper: {string.Join(", ", differences.Concat(fixedDeviations))}";
    }

    private static Dictionary<string, string> Settings(UperNetRecipe recipe)
    {
        static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["crop"] = $"{recipe.CropSize}",
            ["iterations"] = $"{recipe.Iterations}",
            ["batch"] = $"{recipe.BatchSize}",
            ["AdamW lr"] = F(recipe.LearningRate),
            ["wd"] = F(recipe.WeightDecay),
            ["betas"] = $"({F(recipe.Beta1)}, {F(recipe.Beta2)})",
            ["eps"] = F(recipe.Epsilon),
            ["layer decay"] = F(recipe.LayerDecayRate),
            ["warmup"] = $"{recipe.WarmupIterations} from {F(recipe.WarmupStartFactor)}·lr",
            ["poly"] = $"power {F(recipe.PolyPower)} to {F(recipe.MinLearningRate)}",
            ["drop path"] = F(recipe.DropPathRate),
            ["UperHead channels"] = $"{recipe.DecodeChannels}",
            ["pool scales"] = $"({string.Join(", ", recipe.PoolScales)})",
            ["aux channels"] = $"{recipe.AuxiliaryChannels}",
            ["aux weight"] = F(recipe.AuxiliaryLossWeight),
            ["dropout"] = F(recipe.DropoutRate),
            ["resize"] = $"({recipe.LongEdgeFactor * recipe.CropSize}, {recipe.CropSize})·[{F(recipe.ResizeRatioMin)}, {F(recipe.ResizeRatioMax)}]",
            ["cat_max_ratio"] = F(recipe.CatMaxRatio),
            ["flip"] = F(recipe.FlipProbability),
            ["brightness"] = $"±{F(recipe.BrightnessDelta * 255)}/255",
            ["contrast"] = $"[{F(recipe.ContrastLower)}, {F(recipe.ContrastUpper)}]",
            ["saturation"] = $"[{F(recipe.SaturationLower)}, {F(recipe.SaturationUpper)}]",
            ["hue"] = $"±{recipe.HueDelta}/180 turn",
            ["test"] = $"keep-ratio ({recipe.LongEdgeFactor * recipe.CropSize}, {recipe.CropSize}), slide {recipe.CropSize} stride {recipe.TestStride}",
        };
    }
}
