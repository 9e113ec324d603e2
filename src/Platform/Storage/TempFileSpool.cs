namespace SemanticMIM.Platform.Storage;

/// <summary>Copies a stream that cannot seek to a temporary file that can (deleted when the file is closed).</summary>
internal static class TempFileSpool
{
    public static async Task<FileStream> SpoolAsync(Stream source, CancellationToken cancellationToken)
    {
        string path = Path.Combine(Path.GetTempPath(), $"semanticmim-spool-{Guid.NewGuid():N}.tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            await source.CopyToAsync(file, 1 << 16, cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
