namespace SemanticMIM.Contracts.Specs;

/// <summary>
/// How a spec may spell a named value: case-insensitive, dashes and underscores ignored, so <c>semantic-mim</c>,
/// <c>SemanticMim</c> and <c>semantic_mim</c> name the same thing.
/// </summary>
internal static class SpecSpelling
{
    /// <summary>The form two spellings of one name share.</summary>
    public static string Key(string value) =>
        value.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
}
