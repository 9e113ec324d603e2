using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>Decodes source files, recording the ones that cannot be read (named relative to the data set root) instead of failing.</summary>
internal sealed class SkipLog(string root)
{
    private readonly List<SkippedSource> _entries = [];

    public IReadOnlyList<SkippedSource> Entries => _entries;

    public void Clear() => _entries.Clear();

    public void Add(string path, string reason) => _entries.Add(new SkippedSource(Relative(path), reason));

    public T? TryDecode<T>(string path, Func<byte[], T> decode) where T : class
    {
        if (!File.Exists(path))
        {
            Add(path, "missing file");
            return null;
        }
        try
        {
            return decode(File.ReadAllBytes(path));
        }
        catch (CorruptImageException e)
        {
            Add(path, e.Reason);
        }
        catch (NotSupportedException e)
        {
            Add(path, e.Message);
        }
        catch (IOException e)
        {
            Add(path, $"unreadable file: {e.Message}");
        }
        return null;
    }

    private string Relative(string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
