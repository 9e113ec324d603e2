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
    public static CheckpointManifest? ReadValid(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        CheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
        if (manifest is null || manifest.Format != CurrentFormat || manifest.Files is null)
        {
            return null;
        }
        foreach (var file in manifest.Files)
        {
            var filePath = Path.Combine(folder, file.Name);
            if (file.Name != Path.GetFileName(file.Name) || !File.Exists(filePath) || Fingerprint(filePath) != file)
            {
                return null;
            }
        }
        return manifest;
    }

    private static CheckpointFile Fingerprint(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = SHA256.HashData(stream);
        return new CheckpointFile(Path.GetFileName(path), stream.Length, Convert.ToHexStringLower(hash));
    }
}
