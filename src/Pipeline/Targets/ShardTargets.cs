using System.Text.Json;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Checkpoints;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// The targets of one shard, as stored in one safetensors file: per sample and view the crop box and flip
/// (<c>views</c>, int32 (n, V, 5)) and the targets, either HOG features (<c>hog</c>, float16 (n, V, N, F)) or
/// token ids (<c>tokens</c>, int32 (n, V, N)). The metadata names the shard, its SHA-256 and the sample keys,
/// so a target file can never be applied to a different shard.
/// </summary>
public sealed class ShardTargets
{
    public const string Format = "semanticmim.targets.v1";

    public required string Shard { get; init; }

    public required string ShardSha256 { get; init; }

    public required IReadOnlyList<string> Keys { get; init; }

    public required int Views { get; init; }

    public required int Patches { get; init; }

    /// <summary>Features per patch for HOG; 0 for token ids.</summary>
    public required int FeatureDim { get; init; }

    /// <summary>(n · V · 5) crop boxes and flips.</summary>
    public required int[] ViewBoxes { get; init; }

    /// <summary>(n · V · N · F) HOG features, or null for token targets.</summary>
    public Half[]? Hog { get; init; }

    /// <summary>(n · V · N) token ids, or null for HOG targets.</summary>
    public int[]? Tokens { get; init; }

    public int Count => Keys.Count;

    public bool IsHog => Hog is not null;

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
                using var values = tensor(Hog.Select(h => (float)h).ToArray(), [n, Views, Patches, FeatureDim]);
                tensors["hog"] = values.to_type(ScalarType.Float16);
            }
            else
            {
                tensors["tokens"] = tensor(Tokens!, [n, Views, Patches]);
            }
            SafetensorsFile.Save(path, tensors, new Dictionary<string, string>
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
        var (tensors, metadata) = SafetensorsFile.Load(path);
        try
        {
            if (metadata.GetValueOrDefault("format") != Format)
            {
                throw new InvalidDataException($"{path} is not a target file (format '{metadata.GetValueOrDefault("format")}')");
            }
            var keys = JsonSerializer.Deserialize<string[]>(metadata["keys"]) ?? [];
            var views = tensors["views"];
            bool hog = tensors.TryGetValue("hog", out var hogTensor);
            var values = hog ? hogTensor! : tensors["tokens"];
            if (views.shape[0] != keys.Length || values.shape[0] != keys.Length || values.shape[1] != views.shape[1])
            {
                throw new InvalidDataException($"{path}: {keys.Length} keys, views [{string.Join(", ", views.shape)}], targets [{string.Join(", ", values.shape)}] do not agree");
            }
            return new ShardTargets
            {
                Shard = metadata["shard"],
                ShardSha256 = metadata["shard_sha256"],
                Keys = keys,
                Views = (int)views.shape[1],
                Patches = (int)values.shape[2],
                FeatureDim = hog ? (int)values.shape[3] : 0,
                ViewBoxes = views.data<int>().ToArray(),
                Hog = hog ? values.data<Half>().ToArray() : null,
                Tokens = hog ? null : values.data<int>().ToArray(),
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
}
