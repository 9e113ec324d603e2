using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>A source file left out of a data set, with why (for example a corrupt JPEG) and the kind of reason (<see cref="SkipKinds"/>).</summary>
public sealed record SkippedSource(string Source, string Reason, string? Kind = null);

/// <summary>The kinds of reason a source is skipped for, as manifests count them.</summary>
public static class SkipKinds
{
    public const string Missing = "missing";
    public const string Unreadable = "unreadable";
    public const string Corrupt = "corrupt";
    public const string Truncated = "truncated";
    public const string Oversized = "oversized";
    public const string DecompressionBomb = "decompression-bomb";
    public const string Unsupported = "unsupported";
    public const string Unlabelled = "unlabelled";
    public const string BadLabels = "bad-labels";

    /// <summary>Entries written before kinds were recorded.</summary>
    public const string Unknown = "unknown";

    public static string Of(ImageProblem problem) => problem switch
    {
        ImageProblem.Truncated => Truncated,
        ImageProblem.Oversized => Oversized,
        ImageProblem.DecompressionBomb => DecompressionBomb,
        _ => Corrupt,
    };
}
