using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// (N, D) float32 rows appended batch by batch to a file, then read back memory-mapped (<c>torch.from_file</c>): the
/// rows live in the file and the OS page cache, which reads them in as they are used and drops them under memory
/// pressure, instead of in the process's own memory. The mapped tensor is a private, read-only-in-practice mapping;
/// the file stays until the caller deletes its folder.
/// </summary>
public sealed class FeatureFile(string path) : IDisposable
{
    private FileStream? _writer = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);

    public string Path { get; } = path;

    public long Rows { get; private set; }

    public long Width { get; private set; } = -1;

    /// <summary>Appends (B, D) rows (any device or float type: stored as float32).</summary>
    public void Append(Tensor rows)
    {
        var writer = _writer ?? throw new InvalidOperationException($"{Path} is already mapped");
        if (rows.dim() != 2 || (Width >= 0 && rows.shape[1] != Width))
        {
            throw new ArgumentException($"rows must be (B, {(Width >= 0 ? Width : "D")}), got [{string.Join(", ", rows.shape)}]", nameof(rows));
        }
        using var scope = torch.NewDisposeScope();
        writer.Write(rows.to(ScalarType.Float32).cpu().contiguous().bytes);
        Width = rows.shape[1];
        Rows += rows.shape[0];
    }

    /// <summary>Ends the writing and maps the rows as an (N, D) float tensor on the CPU, the caller's to dispose.</summary>
    public Tensor Map()
    {
        if (_writer is null || Rows == 0)
        {
            throw new InvalidOperationException($"{Path} has no rows to map, or was mapped already");
        }
        _writer.Dispose();
        _writer = null;
        using var flat = torch.from_file(Path, shared: false, size: Rows * Width, dtype: ScalarType.Float32);
        return flat.view(Rows, Width);
    }

    public void Dispose() => _writer?.Dispose();
}
