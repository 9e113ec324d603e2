using System.Globalization;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.GpuCheck;

/// <summary>The command line after the command name: <c>--name value</c> pairs, read with defaults.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Options(IEnumerable<string> arguments)
    {
        using var items = arguments.GetEnumerator();
        while (items.MoveNext())
        {
            string name = items.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !items.MoveNext())
            {
                throw new ArgumentException($"expected '--name value' pairs, got '{name}'");
            }
            _values[name[2..]] = items.Current;
        }
    }

    public string Text(string name, string fallback)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name, fallback);
    }

    public int Int(string name, int fallback) => int.Parse(Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string name, double fallback) => double.Parse(Text(name, fallback.ToString("R", CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public bool Bool(string name, bool fallback) => bool.Parse(Text(name, fallback ? "true" : "false"));

    public IReadOnlyList<int> Ints(string name, string fallback) =>
        Text(name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToList();

    /// <summary>The BEiT + SemanticMIM pretraining model the options describe (ViT-B/16 at 224, 8 proxies, by default).</summary>
    public MimModelConfig Model() => new()
    {
        Encoder = new VisionTransformerConfig
        {
            ImageSize = Int("image", 224), PatchSize = Int("patch", 16), InChannels = 3, EmbedDim = Int("dim", 768),
            Depth = Int("depth", 12), NumHeads = Int("heads", 12), MlpDim = Int("mlp", 3072), NumProxies = Int("proxies", 8),
            Flavour = BlockFlavour.Beit,
        },
        Method = MimMethod.SemanticMim,
        Target = TargetKind.TokenIds,
        VocabSize = Int("vocab", 8192),
    };

    /// <summary>Throws when an option was given that the command never read (a typo would otherwise pass silently).</summary>
    public void EnsureAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}");
        }
    }
}
