namespace SemanticMIM.Data.Imaging;

/// <summary>Why an image cannot be used; counted per kind in a shard manifest.</summary>
public enum ImageProblem
{
    /// <summary>An unknown format or a broken structure.</summary>
    Corrupt,

    /// <summary>The data stops before the image does.</summary>
    Truncated,

    /// <summary>More pixels or bytes than <see cref="ImageLimits"/> allow.</summary>
    Oversized,

    /// <summary>More pixels than allowed from a file far too small for them: data built to expand when decoded.</summary>
    DecompressionBomb,
}
