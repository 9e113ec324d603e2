namespace SemanticMIM.Data.Datasets;

internal static class SampleKeys
{
    /// <summary>A file's name without its extension, with any other '.' turned into '_' so it can be a WebDataset key.</summary>
    public static string FromFileName(string path) => Path.GetFileNameWithoutExtension(path).Replace('.', '_');
}
