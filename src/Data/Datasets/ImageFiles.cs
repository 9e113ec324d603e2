namespace SemanticMIM.Data.Datasets;

internal static class ImageFiles
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpeg", ".jpg", ".png" };

    /// <summary>The image files directly inside <paramref name="directory"/>, in ordinal order so every run agrees.</summary>
    public static string[] In(string directory) =>
        Directory.EnumerateFiles(directory)
            .Where(path => Extensions.Contains(Path.GetExtension(path)))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static string[] SubdirectoryNames(string directory) =>
        Directory.EnumerateDirectories(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
}
