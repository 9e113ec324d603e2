using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SemanticMIM.Training;

/// <summary>One file of a checkpoint with its size and SHA-256 (lower-case hex).</summary>
public sealed record CheckpointFile(string Name, long Bytes, string Sha256);

/// <summary>
/// The commit marker of a checkpoint folder, written last: the step and every other file with its SHA-256.
/// A folder whose manifest is missing, unreadable or disagrees with the files is not a checkpoint.
/// </summary>
public sealed record CheckpointManifest
{
    public const string FileName = "manifest.json";
    public const string CurrentFormat = "semanticmim.checkpoint.v1";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string Format { get; init; } = CurrentFormat;

    public required int Step { get; init; }

    public required IReadOnlyList<CheckpointFile> Files { get; init; }

    /// <summary>Describes every file in <paramref name="folder"/> except a manifest.</summary>
    public static CheckpointManifest Describe(string folder, int step) => new()
    {
        Step = step,
        Files = Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name != FileName)
            .Order(StringComparer.Ordinal)
            .Select(name => Fingerprint(Path.Combine(folder, name)))
            .ToList(),
    };

    /// <summary>Writes the manifest into <paramref name="folder"/> and flushes it to disk.</summary>
    public void WriteTo(string folder)
    {
        using var stream = new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.Write);
        JsonSerializer.Serialize(stream, this, Json);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The manifest of <paramref name="folder"/> when it exists and every listed file matches it; otherwise null.</summary>
    public static CheckpointManifest? ReadValid(string folder) => Check(folder).Manifest;

    /// <summary>The largest manifest read; a checkpoint lists a handful of files.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>
    /// The manifest of <paramref name="folder"/> and every file it lists, checked: the manifest readable, of this format,
    /// for the step the folder is named after, naming only plain files of the folder, each of the listed size and
    /// SHA-256 (sizes compared before anything is hashed). Returns the manifest, or null and what is wrong.
    /// </summary>
    public static (CheckpointManifest? Manifest, string? Problem) Check(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return (null, $"{FileName} is missing (the checkpoint was never committed)");
        }
        long length = new FileInfo(path).Length;
        if (length > MaxBytes)
        {
            return (null, $"{FileName} is {length} bytes long, more than any checkpoint manifest");
        }
        CheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            return (null, $"{FileName} is not a checkpoint manifest ({e.Message})");
        }
        if (manifest is null || manifest.Format != CurrentFormat || manifest.Files is null)
        {
            return (null, $"{FileName} is not a {CurrentFormat} manifest");
        }
        if (CheckpointDirectory.ParseStep(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))) is { } step && step != manifest.Step)
        {
            return (null, $"{FileName} is for step {manifest.Step}, the folder for step {step}");
        }
        foreach (var file in manifest.Files)
        {
            if (file?.Name is not { Length: > 0 } name || name != Path.GetFileName(name) || name is "." or ".." || name.Contains('\0', StringComparison.Ordinal))
            {
                return (null, $"{FileName} names an invalid file '{file?.Name}'");
            }
            var filePath = Path.Combine(folder, name);
            if (!File.Exists(filePath))
            {
                return (null, $"{name} is missing");
            }
            long bytes = new FileInfo(filePath).Length;
            if (bytes != file.Bytes)
            {
                return (null, $"{name} is {bytes} bytes; the manifest says {file.Bytes} (truncated or replaced)");
            }
            if (Fingerprint(filePath) != file)
            {
                return (null, $"{name} does not have the SHA-256 the manifest lists (corrupt)");
            }
        }
        return (manifest, null);
    }

    private static CheckpointFile Fingerprint(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = SHA256.HashData(stream);
        return new CheckpointFile(Path.GetFileName(path), stream.Length, Convert.ToHexStringLower(hash));
    }
}
