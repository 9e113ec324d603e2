using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// Decodes source files, recording the ones that cannot be read (named relative to the data set root, with the kind of
/// reason) instead of failing. A file over the size limit is not read; an image over the pixel limit is not decoded.
/// </summary>
internal sealed class SkipLog(string root, ImageLimits? limits = null)
{
    private readonly List<SkippedSource> _entries = [];

    public IReadOnlyList<SkippedSource> Entries => _entries;

    public ImageLimits Limits { get; } = limits ?? ImageLimits.Default;

    public void Clear() => _entries.Clear();

    public void Add(string path, string reason, string kind) => _entries.Add(new SkippedSource(Relative(path), reason, kind));

    public T? TryDecode<T>(string path, Func<byte[], T> decode) where T : class
    {
        if (!File.Exists(path))
        {
            Add(path, "missing file", SkipKinds.Missing);
            return null;
        }
        try
        {
            ImageCodec.CheckBytes(new FileInfo(path).Length, Limits);
            return decode(File.ReadAllBytes(path));
        }
        catch (CorruptImageException e)
        {
            Add(path, e.Reason, SkipKinds.Of(e.Problem));
        }
        catch (NotSupportedException e)
        {
            Add(path, e.Message, SkipKinds.Unsupported);
        }
        catch (IOException e)
        {
            Add(path, $"unreadable file: {e.Message}", SkipKinds.Unreadable);
        }
        catch (UnauthorizedAccessException e)
        {
            Add(path, $"unreadable file: {e.Message}", SkipKinds.Unreadable);
        }
        return null;
    }

    private string Relative(string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
