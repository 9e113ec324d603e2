namespace SemanticMIM.Planning.Configs;

/// <summary>HOG target settings (spec (c)). ImageNet: 9 bins, 8-pixel cells, 16-pixel window, patch 16.</summary>
public sealed record HogConfig
{
    public int NumBins { get; init; } = 9;

    /// <summary>Cell size in pixels ("pool"); cells are sum-pooled without overlap.</summary>
    public int CellSize { get; init; } = 8;

    /// <summary>Side of the Gaussian window tiled over every patch; 0 disables it.</summary>
    public int GaussianWindow { get; init; } = 16;

    public int PatchSize { get; init; } = 16;

    /// <summary>The spec's tiny-scale settings for a given patch size: cells of patch/2, window = patch.</summary>
    public static HogConfig ForPatch(int patchSize) =>
        new() { PatchSize = patchSize, CellSize = patchSize / 2, GaussianWindow = patchSize };

    public int CellsPerPatch => PatchSize / CellSize;

    /// <summary>Feature size per patch: channels · bins · (patch / cell)².</summary>
    public int FeatureDim(int channels) => channels * NumBins * CellsPerPatch * CellsPerPatch;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (NumBins <= 0)
        {
            problems.Add($"{nameof(NumBins)} must be positive (got {NumBins})");
        }
        if (CellSize <= 0 || PatchSize <= 0 || PatchSize % CellSize != 0)
        {
            problems.Add($"{nameof(PatchSize)} {PatchSize} must be a positive multiple of {nameof(CellSize)} {CellSize}");
        }
        if (GaussianWindow is 1 or < 0)
        {
            problems.Add($"{nameof(GaussianWindow)} must be 0 (off) or at least 2 (got {GaussianWindow})");
        }
        return problems;
    }
}
