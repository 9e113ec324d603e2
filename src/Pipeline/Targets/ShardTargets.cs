using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Planning;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// The targets of one shard, as stored in one file: a zlib-compressed safetensors file holding per sample and view
/// the crop box and flip (<c>views</c>, int32 (n, V, 5)) and the targets, either HOG features quantised to bytes
/// (<c>hog</c>, uint8 (n, V, N, F), value = code / 255: every HOG feature lies in [0, 1], being a component of a
/// cell's L2-normalised histogram, so one fixed scale serves every value, with an error of at most 1/510) or token
/// ids (<c>tokens</c>, int16 (n, V, N)). That is under half the bytes of format 1's float16 and int32 values. The
/// metadata names the shard, its SHA-256 and the sample keys, so a target file can never be applied to a different
/// shard. The format's version is part of the target id (<see cref="TargetPlan.FormatVersion"/>), so a store of an
/// older format is recomputed under a new id rather than read.
/// </summary>
public sealed class ShardTargets
{
    public static readonly string Format = $"semanticmim.targets.v{TargetPlan.FormatVersion}";

    /// <summary>The dequantised value of every HOG code.</summary>
    private static readonly float[] HogValues = Enumerable.Range(0, 256).Select(code => code / 255f).ToArray();

    public required string Shard { get; init; }

    public required string ShardSha256 { get; init; }

    public required IReadOnlyList<string> Keys { get; init; }

    public required int Views { get; init; }

    public required int Patches { get; init; }

    /// <summary>Features per patch for HOG; 0 for token ids.</summary>
    public required int FeatureDim { get; init; }

    /// <summary>(n · V · 5) crop boxes and flips.</summary>
    public required int[] ViewBoxes { get; init; }

    /// <summary>(n · V · N · F) HOG features as codes (<see cref="HogValue"/>), or null for token targets.</summary>
    public byte[]? Hog { get; init; }

    /// <summary>(n · V · N) token ids, or null for HOG targets.</summary>
    public int[]? Tokens { get; init; }

    public int Count => Keys.Count;

    public bool IsHog => Hog is not null;

    /// <summary>The HOG feature a stored code stands for.</summary>
    public static float HogValue(byte code) => HogValues[code];

    /// <summary>HOG features (any shape, values in [0, 1]) as codes: round(value · 255), clamped.</summary>
    public static byte[] HogCodes(Tensor features)
    {
        using var scope = NewDisposeScope();
        return features.clamp(0, 1).mul(255).round_().to_type(ScalarType.Byte).cpu().contiguous().bytes.ToArray();
    }

    /// <summary>Values per (sample, view): N·F for HOG, N for tokens.</summary>
    public int ValuesPerView => IsHog ? Patches * FeatureDim : Patches;

    public CropView View(int sample, int view) =>
        CropView.FromSpan(ViewBoxes.AsSpan((sample * Views + view) * CropView.Fields, CropView.Fields));

    public void Save(string path)
    {
        int n = Count;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["views"] = tensor(ViewBoxes, [n, Views, CropView.Fields]),
        };
        try
        {
            if (Hog is not null)
            {
                tensors["hog"] = tensor(Hog, [n, Views, Patches, FeatureDim]);
            }
            else
            {
                if (Tokens!.Any(t => t is < 0 or > short.MaxValue))
                {
                    throw new InvalidDataException($"token ids of shard {Shard} exceed int16, which format {TargetPlan.FormatVersion} stores them as");
                }
                using var ids = tensor(Tokens!, [n, Views, Patches]);
                tensors["tokens"] = ids.to_type(ScalarType.Int16);
            }
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            // HOG codes carry ~7.4 bits a byte: the default level takes ~7%; the fastest (zlib-ng's quick mode) none.
            using var compressed = new ZLibStream(file, CompressionLevel.Optimal);
            SafetensorsFile.Write(compressed, tensors, new Dictionary<string, string>
            {
                ["format"] = Format,
                ["shard"] = Shard,
                ["shard_sha256"] = ShardSha256,
                ["keys"] = JsonSerializer.Serialize(Keys),
            });
        }
        finally
        {
            foreach (var value in tensors.Values)
            {
                value.Dispose();
            }
        }
    }

    public static ShardTargets Load(string path)
    {
        var (tensors, metadata) = SafetensorsFile.Read(Decompress(path), path);
        try
        {
            if (metadata.GetValueOrDefault("format") != Format)
            {
                throw new InvalidDataException($"{path} is not a target file of format {Format} (format '{metadata.GetValueOrDefault("format")}')");
            }
            var keys = JsonSerializer.Deserialize<string[]>(metadata["keys"]) ?? [];
            var views = tensors["views"];
            bool hog = tensors.TryGetValue("hog", out var hogTensor);
            var values = hog ? hogTensor! : tensors["tokens"];
            if (views.dtype != ScalarType.Int32 || values.dtype != (hog ? ScalarType.Byte : ScalarType.Int16))
            {
                throw new InvalidDataException($"{path}: views of {views.dtype} and targets of {values.dtype}, format {Format} stores Int32 views and {(hog ? "Byte" : "Int16")} targets");
            }
            if (views.shape[0] != keys.Length || values.shape[0] != keys.Length || values.shape[1] != views.shape[1])
            {
                throw new InvalidDataException($"{path}: {keys.Length} keys, views [{string.Join(", ", views.shape)}], targets [{string.Join(", ", values.shape)}] do not agree");
            }
            using var ids = hog ? null : values.to_type(ScalarType.Int32);
            return new ShardTargets
            {
                Shard = metadata["shard"],
                ShardSha256 = metadata["shard_sha256"],
                Keys = keys,
                Views = (int)views.shape[1],
                Patches = (int)values.shape[2],
                FeatureDim = hog ? (int)values.shape[3] : 0,
                // Straight copies of the tensors' memory: read from the file, they are contiguous.
                ViewBoxes = MemoryMarshal.Cast<byte, int>(views.bytes).ToArray(),
                Hog = hog ? values.bytes.ToArray() : null,
                Tokens = ids is null ? null : MemoryMarshal.Cast<byte, int>(ids.bytes).ToArray(),
            };
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    private static byte[] Decompress(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var inflated = new ZLibStream(file, CompressionMode.Decompress);
            using var bytes = new MemoryStream();
            inflated.CopyTo(bytes);
            return bytes.ToArray();
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"{path} is not a target file of format {Format}: {error.Message}", error);
        }
    }
}
