using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Planning;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// The targets of one shard, as stored in one file: a zlib-compressed safetensors file holding per sample and view
/// the crop box and flip (<c>views</c>, int32 (n, V, 5)) and the targets, either HOG features (<c>hog</c>, (n, V, N, F))
/// or token ids (<c>tokens</c>, int16 (n, V, N)). HOG values are stored as the spec's <c>target.hogStorage</c> says:
/// uint8 codes by default (value = code / 255: every HOG feature lies in [0, 1], being a component of a cell's
/// L2-normalised histogram, so one fixed scale serves every value, with an error of at most 1/510), under half the bytes
/// of format 1's float16; or float16, as format 1 kept them. The metadata names the shard, its SHA-256 and the sample
/// keys, so a target file can never be applied to a different shard. The format's version is part of the target id
/// (<see cref="TargetPlan.FormatVersion"/>), so a store of an older format is recomputed under a new id rather than read.
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

    /// <summary>
    /// (n · V · N · F) HOG features in <see cref="HogStorage"/>'s encoding: one code a value (<see cref="HogValue"/>) or
    /// two bytes of a float16; null for token targets.
    /// </summary>
    public byte[]? Hog { get; init; }

    public HogStorage HogStorage { get; init; } = HogStorage.Uint8;

    /// <summary>(n · V · N) token ids, or null for HOG targets.</summary>
    public int[]? Tokens { get; init; }

    public int Count => Keys.Count;

    public bool IsHog => Hog is not null;

    /// <summary>HOG features (any shape, values in [0, 1]) in a storage's encoding: round(value · 255) clamped, or float16.</summary>
    public static byte[] HogBytes(Tensor features, HogStorage storage)
    {
        using var scope = NewDisposeScope();
        var stored = storage == HogStorage.Float16
            ? features.to_type(ScalarType.Float16)
            : features.clamp(0, 1).mul(255).round_().to_type(ScalarType.Byte);
        return stored.cpu().contiguous().bytes.ToArray();
    }

    /// <summary>The <paramref name="destination"/>.Length HOG values from value index <paramref name="start"/>, decoded.</summary>
    public void CopyHog(int start, Span<float> destination)
    {
        var stored = Hog ?? throw new InvalidOperationException($"shard {Shard} holds token targets, not HOG");
        if (HogStorage == HogStorage.Float16)
        {
            var values = MemoryMarshal.Cast<byte, Half>(stored).Slice(start, destination.Length);
            for (int j = 0; j < values.Length; j++)
            {
                destination[j] = (float)values[j];
            }
            return;
        }
        var codes = stored.AsSpan(start, destination.Length);
        for (int j = 0; j < codes.Length; j++)
        {
            destination[j] = HogValues[codes[j]];
        }
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
                var hog = empty([n, Views, Patches, FeatureDim], HogStorage == HogStorage.Float16 ? ScalarType.Float16 : ScalarType.Byte);
                tensors["hog"] = hog;
                Hog.CopyTo(hog.bytes);
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
            if (views.dtype != ScalarType.Int32 || (hog ? values.dtype is not (ScalarType.Byte or ScalarType.Float16) : values.dtype != ScalarType.Int16))
            {
                throw new InvalidDataException($"{path}: views of {views.dtype} and targets of {values.dtype}, format {Format} stores Int32 views and {(hog ? "Byte or Float16" : "Int16")} targets");
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
                HogStorage = values.dtype == ScalarType.Float16 ? HogStorage.Float16 : HogStorage.Uint8,
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
