using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemanticMIM.Contracts.Specs.Sweeps;

/// <summary>
/// Expands a sweep into its cells: arms × the cross product of the axes × seeds, in that order. Each cell is the base
/// spec's YAML with the settings written at their paths, <c>training.seed</c> and <c>augmentation.seed</c> set, and a
/// name that is deterministic, readable and a valid spec name: <c>&lt;sweep&gt;-&lt;arm&gt;-proxies4-ratio0p6-s1</c>, or that
/// cut short with a six-digit hash when it would be longer than 63 characters, lose characters, or repeat another's.
/// Paths that name no spec field, and list items the base lacks, are problems; the cells' specs are validated by the
/// caller (<c>SweepPlan</c>), as any spec is.
/// </summary>
public static class SweepCells
{
    /// <summary>Fields a sweep sets itself, so an axis or arm may not: the name and the two seeds.</summary>
    private static readonly Dictionary<string, string> Reserved = new(StringComparer.Ordinal)
    {
        ["name"] = "each cell's name is made from the sweep's, its arm and its values",
        ["training.seed"] = "list the seeds under sweep.seeds",
        ["augmentation.seed"] = "set viewSeed (fixed or perSeed), or set augmentation.seed in the base spec",
    };

    /// <exception cref="InvalidSpecException">A path is not a settable spec field, or names a list item the base does not have.</exception>
    public static IReadOnlyList<SweepCell> Expand(SweepSpec sweep, string source = "sweep")
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var problems = new List<SpecProblem>();
        var root = BaseMapping(sweep.BaseYaml, problems);
        var settings = sweep.Arms.SelectMany((arm, i) => arm.Settings.Select(s => (Setting: s, At: $"sweep.arms[{i}].set.{s.Path}")))
            .Concat(sweep.Axes.Select(axis => (Setting: new SweepSetting(axis.Path, axis.Values.FirstOrDefault() ?? ""), At: $"sweep.axes.{axis.Path}")));
        foreach (var (setting, at) in settings)
        {
            if (PathProblem(setting.Path) is { } problem)
            {
                problems.Add(new SpecProblem(at, problem));
            }
            else if (root is not null && Set(Clone(root), setting.Path, new YamlScalarNode("0")) is { } missing)
            {
                problems.Add(new SpecProblem(at, missing));
            }
        }
        var armPaths = sweep.Arms.SelectMany(a => a.Settings.Select(s => s.Path)).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(sweep.Axes.Where(axis => armPaths.Contains(axis.Path))
            .Select(axis => new SpecProblem($"sweep.axes.{axis.Path}", "is also set by an arm; set each path in the arms or on an axis, not both")));
        if (problems.Count > 0 || root is null)
        {
            throw new InvalidSpecException(source, problems);
        }

        string baseViewSeed = Find(root, "augmentation.seed") ?? Find(root, "training.seed") ?? "0";
        var cells = new List<SweepCell>();
        foreach (var arm in sweep.Arms)
        {
            foreach (var point in Points(sweep.Axes))
            {
                foreach (int seed in arm.Seeds ?? sweep.Seeds)
                {
                    cells.Add(new SweepCell { Name = "", Arm = arm.Name, Point = point, Seed = seed, SpecYaml = "" });
                }
            }
        }
        var names = Names(sweep.Name, cells);
        return cells.Select((cell, i) =>
        {
            var spec = Clone(root);
            foreach (var setting in sweep.Arms.Single(a => a.Name == cell.Arm).Settings.Concat(cell.Point))
            {
                Set(spec, setting.Path, new YamlScalarNode(setting.Value));
            }
            string seed = cell.Seed.ToString(CultureInfo.InvariantCulture);
            Set(spec, "training.seed", new YamlScalarNode(seed));
            Set(spec, "augmentation.seed", new YamlScalarNode(sweep.ViewSeed == ViewSeedMode.PerSeed ? seed : baseViewSeed));
            Set(spec, "name", new YamlScalarNode(names[i]));
            return cell with { Name = names[i], SpecYaml = SweepReader.Serialize(spec) };
        }).ToList();
    }

    /// <summary>Why a path cannot be set by a sweep, or null: it must name a single-valued spec field, with an index on every list.</summary>
    public static string? PathProblem(string path)
    {
        var segments = path.Split('.');
        var generic = new List<string>();
        foreach (var segment in segments)
        {
            var (name, index) = Segment(segment);
            if (name.Length == 0 || (index is null && segment.Contains('[', StringComparison.Ordinal)))
            {
                return $"{SpecText.Quote(path)} is not a dotted path such as model.proxies or evaluations[0].epochs";
            }
            generic.Add(index is null ? name : name + "[]");
        }
        string fieldPath = string.Join('.', generic);
        var field = SpecFields.All.FirstOrDefault(f => f.Path == fieldPath);
        if (field is null)
        {
            // The fields known beside the unknown one: under its parent, or at the top.
            string parent = fieldPath.Contains('.', StringComparison.Ordinal) ? fieldPath[..fieldPath.LastIndexOf('.')] + "." : "";
            var known = SpecFields.All.Where(f => f.Path.StartsWith(parent, StringComparison.Ordinal) && !f.Path[parent.Length..].Contains('.', StringComparison.Ordinal))
                .Select(f => f.Path).ToList();
            string hint = known.Count > 0 ? $"known here: {string.Join(", ", known)}" : "list items are named by index, as evaluations[0].epochs";
            return $"{SpecText.Quote(path)} is not a spec field ({hint})";
        }
        if (field.IsRecord || field.IsList)
        {
            return $"{SpecText.Quote(path)} holds more than one value; name one of its fields";
        }
        return Reserved.TryGetValue(field.Path, out var why) ? $"{SpecText.Quote(path)} is set by the sweep: {why}" : null;
    }

    private static YamlMappingNode? BaseMapping(string yaml, List<SpecProblem> problems)
    {
        // A base read from its own file has not been through the sweep file's shape check.
        if (YamlShape.Problem(yaml) is { } shape)
        {
            problems.Add(new SpecProblem("sweep.base", shape));
            return null;
        }
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents is [{ RootNode: YamlMappingNode root }])
            {
                return root;
            }
            problems.Add(new SpecProblem("sweep.base", "the base spec is not one YAML mapping"));
        }
        catch (YamlException error)
        {
            problems.Add(new SpecProblem("sweep.base", YamlShape.NotValid(error)));
        }
        return null;
    }

    // Every combination of the axes' values, the first axis varying slowest.
    private static IEnumerable<IReadOnlyList<SweepSetting>> Points(IReadOnlyList<SweepAxis> axes) =>
        axes.Aggregate((IEnumerable<IReadOnlyList<SweepSetting>>)[[]], (points, axis) =>
            points.SelectMany(point => axis.Values.Select(value => (IReadOnlyList<SweepSetting>)[.. point, new SweepSetting(axis.Path, value)])));

    private static string[] Names(string sweep, IReadOnlyList<SweepCell> cells)
    {
        var readable = cells.Select(cell =>
        {
            var parts = new List<string> { sweep };
            if (cell.Arm.Length > 0)
            {
                parts.Add(cell.Arm);
            }
            parts.AddRange(cell.Point.Select(p => Part(p.Path, p.Value)));
            string body = string.Join('-', parts.Where(p => p.Length > 0));
            string seed = $"s{cell.Seed.ToString(CultureInfo.InvariantCulture)}";
            string full = $"{sweep}\u001f{cell.Arm}\u001f{string.Join('\u001f', cell.Point.Select(p => $"{p.Path}={p.Value}"))}\u001f{cell.Seed}";
            bool lossless = cell.Point.All(p => p.Value.All(c => char.IsAsciiLetterOrDigit(c) || c == '.'));
            return (Body: body, Seed: seed, Full: full, Lossless: lossless);
        }).ToList();
        var counts = readable.GroupBy(r => $"{r.Body}-{r.Seed}", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return readable.Select(r =>
        {
            string name = $"{r.Body}-{r.Seed}";
            if (name.Length <= 63 && r.Lossless && counts[name] == 1)
            {
                return name;
            }
            string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(r.Full)))[..6];
            int room = 63 - hash.Length - r.Seed.Length - 2;
            string body = r.Body.Length > room ? r.Body[..room].TrimEnd('-') : r.Body;
            return $"{body}-{hash}-{r.Seed}";
        }).ToArray();
    }

    /// <summary>A setting as a name part: <c>proxies4</c>, <c>ratio0p6</c> for numbers (a point as p), the value alone for words.</summary>
    private static string Part(string path, string value)
    {
        string leaf = Segment(path.Split('.')[^1]).Name.ToLowerInvariant();
        var text = new StringBuilder();
        foreach (char c in value.ToLowerInvariant())
        {
            text.Append(c switch
            {
                '.' => 'p',
                _ when char.IsAsciiLetterOrDigit(c) => c,
                _ => '-',
            });
        }
        string cleaned = string.Join('-', text.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        string unsigned = value.TrimStart('-', '+');
        bool number = unsigned.Length > 0 && (char.IsAsciiDigit(unsigned[0]) || unsigned[0] == '.');
        return number ? leaf + cleaned : cleaned;
    }

    private static (string Name, int? Index) Segment(string segment)
    {
        int open = segment.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            return (segment, null);
        }
        return segment.EndsWith(']') && int.TryParse(segment[(open + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? (segment[..open], index)
            : ("", null);
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="path"/>, adding mappings the base leaves out; the reason when a list item is missing.</summary>
    private static string? Set(YamlMappingNode root, string path, YamlNode value)
    {
        YamlNode node = root;
        var segments = path.Split('.');
        for (int i = 0; i < segments.Length; i++)
        {
            var (name, index) = Segment(segments[i]);
            var mapping = (YamlMappingNode)node;
            var key = new YamlScalarNode(name);
            bool last = i == segments.Length - 1 && index is null;
            if (last)
            {
                mapping.Children[key] = value;
                return null;
            }
            if (!mapping.Children.TryGetValue(key, out var child) || child is not (YamlMappingNode or YamlSequenceNode))
            {
                if (index is not null)
                {
                    return $"the base spec has no {name}[{index}]";
                }
                child = new YamlMappingNode();
                mapping.Children[key] = child;
            }
            if (index is { } item)
            {
                if (child is not YamlSequenceNode list || item >= list.Children.Count)
                {
                    return $"the base spec's {name} has {(child as YamlSequenceNode)?.Children.Count ?? 0} item(s), not one at index {item}";
                }
                if (i == segments.Length - 1)
                {
                    list.Children[item] = value;
                    return null;
                }
                child = list.Children[item];
            }
            if (child is not YamlMappingNode)
            {
                return $"the base spec's {string.Join('.', segments[..(i + 1)])} is not a mapping";
            }
            node = child;
        }
        return null;
    }

    private static string? Find(YamlMappingNode root, string path)
    {
        YamlNode? node = root;
        foreach (var name in path.Split('.'))
        {
            node = node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(name), out var child) ? child : null;
        }
        return (node as YamlScalarNode)?.Value;
    }

    private static YamlMappingNode Clone(YamlMappingNode mapping) => (YamlMappingNode)CloneNode(mapping);

    private static YamlNode CloneNode(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new YamlMappingNode(mapping.Children.Select(c => new KeyValuePair<YamlNode, YamlNode>(CloneNode(c.Key), CloneNode(c.Value)))) { Style = mapping.Style },
        YamlSequenceNode sequence => new YamlSequenceNode(sequence.Children.Select(CloneNode)) { Style = sequence.Style },
        YamlScalarNode scalar => new YamlScalarNode(scalar.Value) { Style = scalar.Style },
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType}"),
    };
}
