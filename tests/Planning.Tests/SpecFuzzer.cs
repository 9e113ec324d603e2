using System.Globalization;
using System.Text;
using SemanticMIM.Contracts.Specs;

namespace SemanticMIM.Planning.Tests;

/// <summary>
/// Seeded, structure-aware spec mutations: a valid spec as a tree, then fields set to values of the wrong type or
/// extreme size, control characters, unknown keys, deep nesting, mappings as keys, duplicate keys and alias bombs;
/// and, on the written text, truncation and stray characters that break the YAML itself.
/// </summary>
internal sealed class SpecFuzzer(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Bases =
    [
        "name: fuzz\ntraining: { steps: 4 }",
        "name: fuzz\ndataset: { kind: syntheticScenes, imageSize: 32, channels: 3, maxTrainSamples: 8, maxTestSamples: 4, shardSize: 4 }\n"
            + "target: { kind: tokens, vocabSize: 16, tokenizerSteps: 2 }\nmethod: baseline\nmodel: { embedDim: 32, heads: 2, mlpDim: 64, depth: 2 }\n"
            + "training: { steps: 2, batchSize: 4 }\nevaluations: [ { protocol: segmentationProbe, epochs: 1 } ]",
        "name: fuzz\ndataset: { kind: fashionMnist, imageSize: 28, maxTrainSamples: 64, shardSize: 32 }\nmodel: { preset: tiny, proxies: 4 }\n"
            + "masking: { kind: blockwise, ratio: 0.5 }\ntraining: { epochs: 1, batchSize: 16, checkpointMinutes: 0.5 }\n"
            + "evaluations: [ { protocol: linearProbe, epochs: 2, batchSize: 32, augment: true }, { protocol: fineTune, recipe: beit-code } ]",
    ];

    private static readonly string[] Texts =
    [
        "", " ", "x", "fuzz", "FUZZ", "a-", "-a", "..", "../../etc/passwd", "/data/x", "x\n", "x\r\ny", "\0", "\u0007bell", "x\u202Ey",
        "x\u200By", "\u2028", "ä", "名前", "🙂", new string('a', 64), new string('b', 5000), "null", "~", "true", "1e309", "NaN", "-0",
        "tiny", "base", "small", "huge", "linear-probe", "UPERNET", "semantic_mim", "dalle", "blockwise", "imageNet",
    ];

    private static readonly string[] Numbers =
    [
        "0", "-0", "1", "-1", "2", "3", "7", "8", "16", "28", "63", "64", "65", "1024", "1025", "65536", "65537", "100000", "2147483647",
        "-2147483648", "2147483648", "9223372036854775807", "99999999999999999999", "0.5", "0.999999", "1.0", "1.5", "1e-300", "1e300",
        "1e308", "1e309", "-1e309", "Infinity", "-Infinity", "NaN", ".inf", ".nan", "0x10", "1_000", "+5", " 5 ", "5.", ".5", "1e",
    ];

    private static readonly string[] Keys = SpecFields.All.Select(f => f.Path.Split('.')[^1].Replace("[]", "", StringComparison.Ordinal)).Distinct().ToArray();

    /// <summary>The next fuzzed spec, as YAML text.</summary>
    public string Next()
    {
        var tree = (Dictionary<string, object?>)Parse(Bases[_random.Next(Bases.Length)])!;
        int mutations = 1 + _random.Next(4);
        for (int i = 0; i < mutations; i++)
        {
            Mutate(tree);
        }
        string yaml = Write(tree);
        return _random.Next(6) == 0 ? Garble(yaml) : yaml;
    }

    private void Mutate(Dictionary<string, object?> root)
    {
        var field = SpecFields.All[_random.Next(SpecFields.All.Count)];
        var (parent, key) = Locate(root, field.Path);
        switch (_random.Next(10))
        {
            case 0:
                parent.Remove(key);
                break;
            case 1:
                parent[Pick(Keys) + Pick(["", "s", "_", "X", "\u0000"])] = RandomValue(3);
                break;
            case 2:
                parent[key] = Nest(RandomValue(0), 1 + _random.Next(_random.Next(2) == 0 ? 40 : 5));
                break;
            case 3:
                parent[key] = new MappingKey(RandomValue(1), RandomValue(0));
                break;
            case 4:
                parent[key] = new Alias(_random.Next(2, 12), _random.Next(2, 8));
                break;
            default:
                parent[key] = field.IsNumber || _random.Next(3) == 0 ? new Raw(Pick(Numbers)) : RandomValue(2);
                break;
        }
    }

    // The mapping that holds a field (created along the way), list items as the first element of their list.
    private (Dictionary<string, object?> Parent, string Key) Locate(Dictionary<string, object?> root, string path)
    {
        var parts = path.Split('.');
        var current = root;
        foreach (var part in parts[..^1])
        {
            string key = part.Replace("[]", "", StringComparison.Ordinal);
            object? next = current.GetValueOrDefault(key);
            if (part.EndsWith("[]", StringComparison.Ordinal))
            {
                if (next is not List<object?> { Count: > 0 } list || list[0] is not Dictionary<string, object?>)
                {
                    list = [new Dictionary<string, object?> { ["protocol"] = "linearProbe" }];
                    current[key] = list;
                }
                next = list[0];
            }
            else if (next is not Dictionary<string, object?>)
            {
                next = new Dictionary<string, object?>();
                current[key] = next;
            }
            current = (Dictionary<string, object?>)next!;
        }
        return (current, parts[^1]);
    }

    private object? RandomValue(int depth) => _random.Next(depth > 0 ? 7 : 4) switch
    {
        0 => new Raw(Pick(Numbers)),
        1 => Pick(Texts),
        2 => _random.Next(2) == 0 ? new Raw("true") : new Raw("false"),
        3 => null,
        4 => Enumerable.Range(0, _random.Next(4)).Select(_ => RandomValue(depth - 1)).ToList(),
        5 => Enumerable.Range(0, _random.Next(4)).ToDictionary(_ => Pick(Keys) + _random.Next(1000).ToString(CultureInfo.InvariantCulture), _ => RandomValue(depth - 1)),
        _ => new Raw(Pick(["&a 1", "*nowhere", "!!binary AAAA", "!custom x", "|\n  block", "{", "]", "? x", "- a", "'unterminated", "\"\\x00\""])),
    };

    private object? Nest(object? value, int depth)
    {
        for (int i = 0; i < depth; i++)
        {
            value = _random.Next(2) == 0 ? new List<object?> { value } : new Dictionary<string, object?> { [Pick(Keys)] = value };
        }
        return value;
    }

    // Text-level damage: what a truncated upload, a bad paste or an editor accident leaves.
    private string Garble(string yaml)
    {
        var text = new StringBuilder(yaml);
        switch (_random.Next(4))
        {
            case 0:
                text.Length = _random.Next(text.Length + 1);
                break;
            case 1:
                for (int i = 0; i < 1 + _random.Next(5); i++)
                {
                    text.Insert(_random.Next(text.Length + 1), Pick([":", "{", "}", "[", "]", "\t", "\n  ", "&", "*", "!", "|", ">", "%", "@", "`", "\"", "'", "\0", "\uFFFF", "#"]));
                }
                break;
            case 2:
                text.Replace("\n", "\n" + new string(' ', _random.Next(1, 4)), _random.Next(text.Length), 0);
                break;
            default:
                var lines = yaml.Split('\n').ToList();
                lines.Insert(_random.Next(lines.Count + 1), lines[_random.Next(lines.Count)]);
                return string.Join('\n', lines);
        }
        return text.ToString();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    /// <summary>The base specs as trees; fuzzing works on the structure, not the text.</summary>
    private static object? Parse(string yaml)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader(yaml));
        return Convert(stream.Documents[0].RootNode);

        static object? Convert(YamlDotNet.RepresentationModel.YamlNode node) => node switch
        {
            YamlDotNet.RepresentationModel.YamlMappingNode map => map.Children.ToDictionary(c => ((YamlDotNet.RepresentationModel.YamlScalarNode)c.Key).Value!, c => Convert(c.Value)),
            YamlDotNet.RepresentationModel.YamlSequenceNode list => list.Children.Select(Convert).ToList(),
            YamlDotNet.RepresentationModel.YamlScalarNode scalar => new Raw(scalar.Value ?? ""),
            _ => null,
        };
    }

    private static string Write(object? value)
    {
        var text = new StringBuilder();
        Write(value, text);
        return text.ToString();
    }

    private static void Write(object? value, StringBuilder text)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                break;
            case Raw raw:
                text.Append(raw.Text);
                break;
            case string s:
                text.Append('"');
                foreach (char c in s)
                {
                    text.Append(c switch
                    {
                        '"' => "\\\"",
                        '\\' => "\\\\",
                        _ when char.IsControl(c) || char.IsSurrogate(c) => $"\\u{(int)c:X4}",
                        _ => c.ToString(),
                    });
                }
                text.Append('"');
                break;
            case MappingKey key:
                text.Append("{ ? ");
                Write(key.Key, text);
                text.Append(" : ");
                Write(key.Value, text);
                text.Append(" }");
                break;
            case Alias alias:
                // A chain of anchors, each a list of the one before repeated: width^levels values once expanded.
                text.Append("[ &l0 [x, y]");
                for (int level = 1; level < alias.Levels; level++)
                {
                    text.Append(CultureInfo.InvariantCulture, $", &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", alias.Width))}]");
                }
                text.Append(" ]");
                break;
            case List<object?> list:
                text.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    text.Append(i == 0 ? " " : ", ");
                    Write(list[i], text);
                }
                text.Append(" ]");
                break;
            case Dictionary<string, object?> map:
                text.Append('{');
                int n = 0;
                foreach (var (key, item) in map)
                {
                    text.Append(n++ == 0 ? " " : ", ");
                    Write(key, text);
                    text.Append(": ");
                    Write(item, text);
                }
                text.Append(" }");
                break;
        }
    }

    /// <summary>A scalar written as is (a number, a keyword, or YAML syntax on purpose).</summary>
    private sealed record Raw(string Text);

    private sealed record MappingKey(object? Key, object? Value);

    private sealed record Alias(int Levels, int Width);
}
