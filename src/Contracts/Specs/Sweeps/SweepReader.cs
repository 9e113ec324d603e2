using System.Globalization;
using System.Text.RegularExpressions;
using SemanticMIM.Contracts.Results;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemanticMIM.Contracts.Specs.Sweeps;

/// <summary>
/// Reads a sweep file: one top-level key <c>sweep</c> holding <c>name</c>, <c>base</c> (a spec file's path, relative to the
/// sweep file, or the spec itself as a mapping), optional <c>arms</c> (a list of <c>{ name, set: { path: value }, seeds }</c>,
/// the seeds optional and a subset of the sweep's), <c>axes</c> (<c>path: [values]</c>), <c>seeds</c>, and optional
/// <c>viewSeed</c> (fixed, perSeed), <c>concurrency</c>, <c>metric</c> and <c>alsoReport</c> (further metrics). Every
/// problem is listed with its place in the file (<c>sweep.axes.model.proxies</c>); the cells
/// themselves are expanded and checked by <see cref="SweepCells"/>.
/// </summary>
public static partial class SweepReader
{
    public const string Key = "sweep";

    public const int MaxCells = 1000;

    private static readonly string[] Keys = ["name", "base", "arms", "axes", "seeds", "viewSeed", "concurrency", "metric", "alsoReport"];

    private static readonly string[] MetricKeys = ["protocol", "feature", "metric", "layer"];

    private static readonly string[] ResultProtocols = [ProtocolNames.LinearProbe, ProtocolNames.FineTune, ProtocolNames.SegmentationProbe, ProtocolNames.UperNet];

    /// <summary>Whether <paramref name="yaml"/> is a sweep file (a mapping with the top-level key <c>sweep</c>) rather than a spec.</summary>
    public static bool IsSweep(string yaml)
    {
        if (yaml is null || YamlShape.Problem(yaml) is not null)
        {
            return false;
        }
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return stream.Documents is [{ RootNode: YamlMappingNode root }] && root.Children.ContainsKey(new YamlScalarNode(Key));
        }
        catch (YamlException)
        {
            return false;
        }
    }

    /// <param name="readBase">Reads the base spec a path names (relative to the sweep file); null where only an inline base may be used.</param>
    /// <exception cref="InvalidSpecException">Every problem of the file.</exception>
    public static SweepSpec Read(string yaml, string source, Func<string, string>? readBase)
    {
        yaml ??= "";
        var stream = YamlShape.Load(yaml, source);
        if (stream.Documents is not [{ RootNode: YamlMappingNode root }] || root.Children.Count != 1
            || root.Children.Single().Key is not YamlScalarNode { Value: Key } || root.Children.Single().Value is not YamlMappingNode sweep)
        {
            throw new InvalidSpecException(source, [new SpecProblem("(document)", "a sweep file is one mapping with the single key 'sweep', holding a mapping")]);
        }
        var problems = new List<SpecProblem>();
        var fields = Fields(sweep, "sweep", Keys, problems);

        string name = Text(fields, "name", "sweep.name", problems) ?? "";
        if (!SafeName().IsMatch(name))
        {
            problems.Add(new SpecProblem("sweep.name", $"{SpecText.Quote(name)} must be 1–63 lower-case letters, digits or dashes, starting and ending with a letter or digit"));
        }
        string baseYaml = Base(fields.GetValueOrDefault("base"), readBase, problems);
        var seeds = Seeds(fields.GetValueOrDefault("seeds"), "sweep.seeds", problems);
        var arms = Arms(fields.GetValueOrDefault("arms"), seeds, problems);
        var axes = Axes(fields.GetValueOrDefault("axes"), problems);
        var viewSeed = fields.TryGetValue("viewSeed", out var mode) ? ViewSeed(mode, problems) : ViewSeedMode.Fixed;
        int concurrency = fields.TryGetValue("concurrency", out var limit) ? Integer(limit, "sweep.concurrency", 0, 1024, problems) ?? 0 : 0;
        var metric = fields.TryGetValue("metric", out var metricNode) ? Metric(metricNode, "sweep.metric", problems) : new SweepMetric();
        var alsoReport = fields.TryGetValue("alsoReport", out var alsoNode) ? AlsoReport(alsoNode, metric, problems) : [];

        long cells = (arms.Count > 0 ? arms.Sum(arm => (long)Math.Max((arm.Seeds ?? seeds).Count, 1)) : Math.Max(seeds.Count, 1))
            * axes.Aggregate(1L, (n, axis) => n * Math.Max(axis.Values.Count, 1));
        if (cells > MaxCells)
        {
            problems.Add(new SpecProblem("sweep", $"expands to {cells} cells; a sweep has at most {MaxCells}"));
        }
        if (problems.Count > 0)
        {
            throw new InvalidSpecException(source, problems);
        }
        return new SweepSpec
        {
            Name = name,
            BaseYaml = baseYaml,
            Arms = arms.Count > 0 ? arms : [new SweepArm("", [])],
            Axes = axes,
            Seeds = seeds,
            ViewSeed = viewSeed,
            Concurrency = concurrency,
            Metric = metric,
            AlsoReport = alsoReport,
        };
    }

    private static string Base(YamlNode? node, Func<string, string>? readBase, List<SpecProblem> problems)
    {
        switch (node)
        {
            case null:
                problems.Add(new SpecProblem("sweep.base", "is required: a spec file's path, or the spec itself as a mapping"));
                return "";
            case YamlMappingNode inline:
                return Serialize(inline);
            case YamlScalarNode { Value: { Length: > 0 } path } when readBase is null:
                problems.Add(new SpecProblem("sweep.base", $"{SpecText.Quote(path)}: a path cannot be read here; write the base spec inline"));
                return "";
            case YamlScalarNode { Value: { Length: > 0 } path }:
                try
                {
                    return readBase!(path);
                }
                catch (InvalidSpecException invalid)
                {
                    problems.AddRange(invalid.Problems.Select(p => new SpecProblem($"sweep.base ({path})", p.ToString())));
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    problems.Add(new SpecProblem("sweep.base", $"{SpecText.Quote(path)} cannot be read: {error.Message}"));
                }
                return "";
            default:
                problems.Add(new SpecProblem("sweep.base", "expected a spec file's path or a mapping"));
                return "";
        }
    }

    private static List<SweepArm> Arms(YamlNode? node, List<int> sweepSeeds, List<SpecProblem> problems)
    {
        var arms = new List<SweepArm>();
        if (node is null)
        {
            return arms;
        }
        if (node is not YamlSequenceNode { Children.Count: > 0 } list)
        {
            problems.Add(new SpecProblem("sweep.arms", "expected a list of { name, set } mappings"));
            return arms;
        }
        for (int i = 0; i < list.Children.Count; i++)
        {
            string at = $"sweep.arms[{i}]";
            if (list.Children[i] is not YamlMappingNode arm)
            {
                problems.Add(new SpecProblem(at, "expected a mapping { name, set, seeds }"));
                continue;
            }
            var fields = Fields(arm, at, ["name", "set", "seeds"], problems);
            string name = Text(fields, "name", $"{at}.name", problems) ?? "";
            if (!SafeName().IsMatch(name))
            {
                problems.Add(new SpecProblem($"{at}.name", $"{SpecText.Quote(name)} must be lower-case letters, digits or dashes (it becomes part of the cells' names)"));
            }
            else if (arms.Any(a => a.Name == name))
            {
                problems.Add(new SpecProblem($"{at}.name", $"'{name}' names two arms"));
            }
            var settings = new List<SweepSetting>();
            if (fields.GetValueOrDefault("set") is YamlMappingNode set)
            {
                foreach (var (key, value) in set.Children)
                {
                    string path = (key as YamlScalarNode)?.Value ?? "";
                    if (Scalar(value, $"{at}.set.{path}", problems) is { } text)
                    {
                        settings.Add(new SweepSetting(path, text));
                    }
                }
            }
            else if (fields.ContainsKey("set"))
            {
                problems.Add(new SpecProblem($"{at}.set", "expected a mapping of spec paths to values"));
            }
            List<int>? seeds = null;
            if (fields.GetValueOrDefault("seeds") is { } seedsNode)
            {
                seeds = Seeds(seedsNode, $"{at}.seeds", problems);
                // A subset of the sweep's, so that every arm pairs with the others on the seeds it runs.
                problems.AddRange(seeds.Where(seed => !sweepSeeds.Contains(seed))
                    .Select(seed => new SpecProblem($"{at}.seeds", $"seed {seed} is not among the sweep's seeds ({string.Join(", ", sweepSeeds)}); an arm runs a subset of them")));
            }
            arms.Add(new SweepArm(name, settings, seeds));
        }
        return arms;
    }

    private static List<SweepAxis> Axes(YamlNode? node, List<SpecProblem> problems)
    {
        var axes = new List<SweepAxis>();
        if (node is null)
        {
            return axes;
        }
        if (node is not YamlMappingNode mapping)
        {
            problems.Add(new SpecProblem("sweep.axes", "expected a mapping of spec paths to lists of values (model.proxies: [2, 4, 8])"));
            return axes;
        }
        foreach (var (key, value) in mapping.Children)
        {
            string path = (key as YamlScalarNode)?.Value ?? "";
            string at = $"sweep.axes.{path}";
            if (value is not YamlSequenceNode { Children.Count: > 0 } values)
            {
                problems.Add(new SpecProblem(at, "expected a list of at least one value"));
                continue;
            }
            var texts = values.Children.Select((v, i) => Scalar(v, $"{at}[{i}]", problems)).OfType<string>().ToList();
            foreach (var repeated in texts.GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                problems.Add(new SpecProblem(at, $"lists {SpecText.Quote(repeated.Key)} {repeated.Count()} times"));
            }
            axes.Add(new SweepAxis(path, texts));
        }
        return axes;
    }

    private static List<int> Seeds(YamlNode? node, string at, List<SpecProblem> problems)
    {
        if (node is not YamlSequenceNode { Children.Count: > 0 } list)
        {
            problems.Add(new SpecProblem(at, "expected a list of at least one seed (training.seed of each run), e.g. [0, 1, 2]"));
            return [];
        }
        var seeds = list.Children.Select((s, i) => Integer(s, $"{at}[{i}]", 0, int.MaxValue, problems)).OfType<int>().ToList();
        foreach (var repeated in seeds.GroupBy(s => s).Where(g => g.Count() > 1))
        {
            problems.Add(new SpecProblem(at, $"lists seed {repeated.Key} {repeated.Count()} times"));
        }
        return seeds;
    }

    private static ViewSeedMode ViewSeed(YamlNode node, List<SpecProblem> problems)
    {
        string value = Scalar(node, "sweep.viewSeed", problems) ?? "";
        var match = Enum.GetValues<ViewSeedMode>().Where(m => SpecSpelling.Key(m.ToString()) == SpecSpelling.Key(value)).ToList();
        if (match.Count == 0)
        {
            problems.Add(new SpecProblem("sweep.viewSeed", $"{SpecText.Quote(value)} is not one of fixed (the base's views for every seed, targets shared), perSeed"));
            return ViewSeedMode.Fixed;
        }
        return match[0];
    }

    private static SweepMetric Metric(YamlNode node, string at, List<SpecProblem> problems)
    {
        if (node is not YamlMappingNode mapping)
        {
            problems.Add(new SpecProblem(at, "expected a mapping { protocol, feature, metric, layer }"));
            return new SweepMetric();
        }
        var fields = Fields(mapping, at, MetricKeys, problems);
        var metric = new SweepMetric();
        if (Text(fields, "protocol", $"{at}.protocol", problems) is { } protocol)
        {
            metric = metric with { Protocol = protocol };
            if (!ResultProtocols.Contains(protocol))
            {
                problems.Add(new SpecProblem($"{at}.protocol", $"{SpecText.Quote(protocol)} is not one of {string.Join(", ", ResultProtocols)} (the names results.json uses)"));
            }
        }
        foreach (var (key, apply) in new (string, Func<string, SweepMetric>)[] { ("feature", v => metric with { Feature = v }), ("metric", v => metric with { Metric = v }) })
        {
            if (Text(fields, key, $"{at}.{key}", problems) is { } value)
            {
                if (!SafeName().IsMatch(value))
                {
                    problems.Add(new SpecProblem($"{at}.{key}", $"{SpecText.Quote(value)} is not a result name such as cls, patch, top1, miou"));
                }
                metric = apply(value);
            }
        }
        if (Text(fields, "layer", $"{at}.layer", problems) is { } layer)
        {
            metric = layer switch
            {
                "last" => metric with { Layer = SweepLayer.Last },
                "best" => metric with { Layer = SweepLayer.Best },
                _ => metric,
            };
            if (layer is not ("last" or "best"))
            {
                problems.Add(new SpecProblem($"{at}.layer", $"{SpecText.Quote(layer)} is not one of last, best"));
            }
        }
        return metric;
    }

    private static List<SweepMetric> AlsoReport(YamlNode node, SweepMetric primary, List<SpecProblem> problems)
    {
        if (node is not YamlSequenceNode list)
        {
            problems.Add(new SpecProblem("sweep.alsoReport", "expected a list of metrics, each a mapping { protocol, feature, metric, layer }"));
            return [];
        }
        var metrics = list.Children.Select((item, i) => Metric(item, $"sweep.alsoReport[{i}]", problems)).ToList();
        foreach (var (metric, i) in metrics.Select((m, i) => (m, i)))
        {
            if (metric == primary || metrics.Take(i).Contains(metric))
            {
                problems.Add(new SpecProblem($"sweep.alsoReport[{i}]", $"repeats {metric}, which the sweep already reports"));
            }
        }
        return metrics;
    }

    private static Dictionary<string, YamlNode> Fields(YamlMappingNode mapping, string at, string[] known, List<SpecProblem> problems)
    {
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            string name = (key as YamlScalarNode)?.Value ?? "";
            if (!known.Contains(name))
            {
                problems.Add(new SpecProblem($"{at}.{SpecText.Quote(name)}", $"unknown key; known keys here: {string.Join(", ", known)}"));
                continue;
            }
            fields[name] = value;
        }
        return fields;
    }

    private static string? Text(Dictionary<string, YamlNode> fields, string key, string at, List<SpecProblem> problems) =>
        fields.TryGetValue(key, out var node) ? Scalar(node, at, problems) : null;

    private static string? Scalar(YamlNode node, string at, List<SpecProblem> problems)
    {
        if (node is YamlScalarNode { Value: { } value })
        {
            return value;
        }
        problems.Add(new SpecProblem(at, "expected a single value, not a list or mapping"));
        return null;
    }

    private static int? Integer(YamlNode node, string at, int min, int max, List<SpecProblem> problems)
    {
        string? text = Scalar(node, at, problems);
        if (text is null)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            problems.Add(new SpecProblem(at, $"{SpecText.Quote(text)} is not an integer in [{min}, {max}]"));
            return null;
        }
        return value;
    }

    internal static string Serialize(YamlMappingNode root)
    {
        var writer = new StringWriter { NewLine = "\n" };
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    // The spec's name rule: a Kubernetes label value and an object key segment.
    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    internal static partial Regex SafeName();
}
