namespace SemanticMIM.Data.Shards;

/// <summary>Writes a file under a temporary name in the same folder, then renames it, so readers never see a partial file.</summary>
internal static class AtomicFile
{
    public static string TemporaryPath(string path) => path + ".partial";

    public static void Commit(string temporaryPath, string path) => File.Move(temporaryPath, path, overwrite: true);

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var temporary = TemporaryPath(path);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        Commit(temporary, path);
    }
}
