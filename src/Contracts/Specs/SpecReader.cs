using System.Collections;
using System.Globalization;
using SemanticMIM.Contracts.Specs.Evaluations;
using YamlDotNet.RepresentationModel;

namespace SemanticMIM.Contracts.Specs;

/// <summary>One problem with a spec: where (a dotted path such as <c>training.batchSize</c>) and why.</summary>
public sealed record SpecProblem(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}

/// <summary>Thrown when a spec is rejected; lists every problem found, not only the first.</summary>
public sealed class InvalidSpecException(string source, IReadOnlyList<SpecProblem> problems)
    : Exception($"{source} is not a valid experiment spec:{Environment.NewLine}" +
        string.Join(Environment.NewLine, problems.Select(p => $"  - {p}")))
{
    public IReadOnlyList<SpecProblem> Problems { get; } = problems;
}

/// <summary>
/// Reads experiment specs from YAML. Keys are the camelCase names of the spec records; enum values and evaluation
/// protocol names are case-insensitive with dashes ignored (<c>semantic-mim</c>, <c>linear-probe</c>). Unknown keys,
/// wrong types, values out of their documented bounds (<see cref="SpecFields"/>) and every rule of
/// <see cref="SpecValidator"/> are collected and reported together. YAML of any shape is answered with problems, never
/// with another exception: documents too long, too deep or expanding too far through aliases (<see cref="YamlShape"/>),
/// mappings or lists used as keys, duplicate keys, and values of the wrong kind.
/// </summary>
public static class SpecReader
{
    /// <summary>The largest spec file read, in bytes (as <see cref="YamlShape.MaxCharacters"/> for a text).</summary>
    public const long MaxFileBytes = YamlShape.MaxCharacters;

    public static ExperimentSpec ReadFile(string path) => Read(ReadText(path), path);

    /// <summary>The text of a spec file, refused before it is read when it is larger than any spec.</summary>
    /// <exception cref="InvalidSpecException">The file is larger than <see cref="MaxFileBytes"/>.</exception>
    public static string ReadText(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
        {
            throw new InvalidSpecException(path, [new SpecProblem("(document)", $"is {length} bytes long; a spec has at most {MaxFileBytes}")]);
        }
        return File.ReadAllText(path);
    }

    public static ExperimentSpec Read(string yaml, string source = "spec") => Read(yaml, source, _ => []);

    /// <summary>
    /// As <see cref="Read(string, string)"/>, with <paramref name="moreRules"/> (rules that need more than the spec, such as
    /// a planner's) run on the bound spec and their problems listed with the others.
    /// </summary>
    public static ExperimentSpec Read(string yaml, string source, Func<ExperimentSpec, IEnumerable<SpecProblem>> moreRules)
    {
        ArgumentNullException.ThrowIfNull(moreRules);
        // A message read from the wire may carry no spec at all: that is an empty document, not a crash.
        yaml ??= "";
        var stream = YamlShape.Load(yaml, source);
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidSpecException(source, [new SpecProblem("(document)", "expected exactly one YAML mapping")]);
        }
        var problems = new List<SpecProblem>();
        var spec = WithRegisteredProtocolNames((ExperimentSpec)Bind(typeof(ExperimentSpec), root, "", problems)!);
        // Rules about a field that failed to bind would only restate that failure with a default value.
        var unbound = problems.Select(p => p.Field).ToList();
        var rules = SpecValidator.Validate(spec).Concat(moreRules(spec));
        problems.AddRange(rules.Where(rule => !unbound.Any(field => Related(field, rule.Field))));
        if (problems.Count > 0)
        {
            throw new InvalidSpecException(source, problems);
        }
        return spec;
    }

    /// <summary>
    /// Each evaluation's protocol under its registered spelling, however the YAML spelled it, so that one spec always
    /// serialises the same (stores compare the serialised spec to detect a changed experiment). Unknown names stay as
    /// written, for the validator to report.
    /// </summary>
    private static ExperimentSpec WithRegisteredProtocolNames(ExperimentSpec spec) => spec with
    {
        Evaluations = spec.Evaluations
            .Select(e => EvaluationProtocolDescriptors.Find(e.Protocol) is { } protocol ? e with { Protocol = protocol.SpecName } : e)
            .ToList(),
    };

    private static object? Bind(Type type, YamlNode node, string path, List<SpecProblem> problems)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (SpecFields.ElementType(underlying) is { } element)
        {
            return BindList(element, node, path, problems);
        }
        if (SpecFields.IsRecord(underlying))
        {
            return BindRecord(underlying, node, path, problems);
        }
        if (node is not YamlScalarNode scalar)
        {
            problems.Add(new SpecProblem(Display(path), $"expected a single value ({Describe(underlying)}), not {Kind(node)}"));
            return null;
        }
        var value = scalar.Value ?? "";
        if (underlying == typeof(string))
        {
            return value;
        }
        if (underlying.IsEnum)
        {
            string wanted = SpecSpelling.Key(value);
            var match = Enum.GetNames(underlying).FirstOrDefault(n => SpecSpelling.Key(n) == wanted);
            if (match is null)
            {
                problems.Add(new SpecProblem(Display(path), $"{SpecText.Quote(value)} is not one of {Describe(underlying)}"));
                return null;
            }
            return Enum.Parse(underlying, match);
        }
        if (underlying == typeof(int) && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
        {
            return i;
        }
        if (underlying == typeof(double) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return d;
        }
        if (underlying == typeof(bool) && bool.TryParse(value, out bool b))
        {
            return b;
        }
        problems.Add(new SpecProblem(Display(path), $"{SpecText.Quote(value)} is not {Describe(underlying)}"));
        return null;
    }

    private static object? BindRecord(Type type, YamlNode node, string path, List<SpecProblem> problems)
    {
        if (node is not YamlMappingNode mapping)
        {
            problems.Add(new SpecProblem(Display(path), $"expected a mapping of keys to values, not {Kind(node)}"));
            return null;
        }
        var instance = Activator.CreateInstance(type)!;
        var properties = SpecFields.Of(type).ToDictionary(p => SpecFields.CamelCase(p.Property.Name), p => p.Property, StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                problems.Add(new SpecProblem(Display(path), $"a key must be a plain name, not {Kind(keyNode)}"));
                continue;
            }
            string child = path.Length == 0 ? FieldName(key) : $"{path}.{FieldName(key)}";
            if (!properties.TryGetValue(key, out var property))
            {
                problems.Add(new SpecProblem(child, $"unknown field; known fields here: {string.Join(", ", properties.Keys)}"));
                continue;
            }
            var value = Bind(property.PropertyType, valueNode, child, problems);
            if (value is not null)
            {
                property.SetValue(instance, value);
            }
        }
        return instance;
    }

    private static object? BindList(Type element, YamlNode node, string path, List<SpecProblem> problems)
    {
        if (node is not YamlSequenceNode sequence)
        {
            problems.Add(new SpecProblem(Display(path), $"expected a list, not {Kind(node)}"));
            return null;
        }
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        int index = 0;
        foreach (var item in sequence.Children)
        {
            var value = Bind(element, item, $"{path}[{index++}]", problems);
            if (value is not null)
            {
                list.Add(value);
            }
        }
        return list;
    }

    private static bool Related(string a, string b) =>
        a == b || a.StartsWith(b + ".", StringComparison.Ordinal) || b.StartsWith(a + ".", StringComparison.Ordinal)
        || a.StartsWith(b + "[", StringComparison.Ordinal) || b.StartsWith(a + "[", StringComparison.Ordinal);

    private static string Display(string path) => path.Length == 0 ? "(document)" : path;

    /// <summary>A key as a problem's path shows it: as written when it is a plain name, quoted when it holds anything odd.</summary>
    private static string FieldName(string key) => key.Length is > 0 and <= 64 && key.All(char.IsAsciiLetterOrDigit) ? key : SpecText.Quote(key);

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ => "a single value",
    };

    private static string Describe(Type type) =>
        type.IsEnum ? string.Join(", ", Enum.GetNames(type).Select(SpecFields.CamelCase))
        : type == typeof(int) ? "an integer"
        : type == typeof(double) ? "a number"
        : type == typeof(bool) ? "true or false"
        : "a text";
}
