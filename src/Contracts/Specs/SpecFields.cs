using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace SemanticMIM.Contracts.Specs;

/// <summary>One field of the spec: its dotted path (<c>evaluations[].dataset.source</c>), type, rule and default.</summary>
public sealed record SpecField(string Path, Type Type, SpecFieldAttribute Rule, object? Default)
{
    /// <summary>The type a value takes when set: <see cref="Type"/> without <see cref="Nullable{T}"/> (fields that may be left unset).</summary>
    public Type ValueType => Nullable.GetUnderlyingType(Type) ?? Type;

    /// <summary>Numbers carry a range; text a length.</summary>
    public bool IsNumber => ValueType == typeof(int) || ValueType == typeof(double);

    public bool IsText => ValueType == typeof(string);

    /// <summary>A mapping of further fields (a spec record).</summary>
    public bool IsRecord => SpecFields.IsRecord(Type);

    public bool IsList => SpecFields.ElementType(Type) is not null;
}

/// <summary>
/// The table of every spec field, read from the <see cref="SpecFieldAttribute"/> of each property of the spec records:
/// the spec reference is generated from it, and <see cref="Check"/> enforces its bounds on a parsed spec.
/// </summary>
public static class SpecFields
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<(PropertyInfo Property, SpecFieldAttribute Rule)>> Properties = new();

    /// <summary>Every field in the order a spec is written, records before their fields, list items as <c>[]</c>.</summary>
    public static IReadOnlyList<SpecField> All { get; } = Collect(typeof(ExperimentSpec), "", new ExperimentSpec()).ToList();

    /// <summary>
    /// Every field whose value breaks its bounds: a number that is not finite or lies outside its range, a text that is
    /// too long or holds invisible characters, an enum value that is not one of its names. Paths carry list indices
    /// (<c>evaluations[1].batchSize</c>).
    /// </summary>
    public static IReadOnlyList<SpecProblem> Check(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = new List<SpecProblem>();
        CheckRecord(spec, "", problems);
        return problems;
    }

    /// <summary>"[1, 65536]", "(0, 1)": the range of a number field as problems and the reference write it.</summary>
    public static string Range(SpecFieldAttribute rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return $"{(rule.MinExclusive ? '(' : '[')}{SpecText.Number(rule.Min)}, {SpecText.Number(rule.Max)}{(rule.MaxExclusive ? ')' : ']')}";
    }

    internal static bool IsRecord(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is { IsClass: true } t && t != typeof(string) && ElementType(t) is null;

    internal static Type? ElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0] : null;

    /// <summary>The documented, settable properties of a spec record in declaration order.</summary>
    /// <exception cref="InvalidOperationException">A property has no <see cref="SpecFieldAttribute"/>: every field must be documented.</exception>
    internal static IReadOnlyList<(PropertyInfo Property, SpecFieldAttribute Rule)> Of(Type type) => Properties.GetOrAdd(type, t =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .OrderBy(p => p.MetadataToken)
            .Select(p => (p, p.GetCustomAttribute<SpecFieldAttribute>()
                ?? throw new InvalidOperationException($"{t.Name}.{p.Name} has no [SpecField]: document it and give its bounds")))
            .ToList());

    internal static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static IEnumerable<SpecField> Collect(Type type, string prefix, object defaults)
    {
        foreach (var (property, rule) in Of(type))
        {
            string path = prefix + CamelCase(property.Name);
            var value = property.GetValue(defaults);
            yield return new SpecField(path, property.PropertyType, rule, value);
            var record = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (ElementType(record) is { } element)
            {
                record = element;
                path += "[]";
            }
            if (IsRecord(record))
            {
                foreach (var field in Collect(record, path + ".", Activator.CreateInstance(record)!))
                {
                    yield return field;
                }
            }
        }
    }

    private static void CheckRecord(object record, string prefix, List<SpecProblem> problems)
    {
        foreach (var (property, rule) in Of(record.GetType()))
        {
            string path = prefix + CamelCase(property.Name);
            switch (property.GetValue(record))
            {
                case int number:
                    CheckNumber(number, rule, path, problems);
                    break;
                case double number:
                    CheckNumber(number, rule, path, problems);
                    break;
                case string text:
                    CheckText(text, rule, path, problems);
                    break;
                case Enum value when !Enum.IsDefined(value.GetType(), value):
                    problems.Add(new SpecProblem(path, $"{value} is not one of {string.Join(", ", Enum.GetNames(value.GetType()).Select(CamelCase))}"));
                    break;
                case IList list:
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (list[i] is { } item)
                        {
                            CheckRecord(item, $"{path}[{i}].", problems);
                        }
                    }
                    break;
                case { } nested when IsRecord(nested.GetType()):
                    CheckRecord(nested, path + ".", problems);
                    break;
            }
        }
    }

    private static void CheckNumber(double value, SpecFieldAttribute rule, string path, List<SpecProblem> problems)
    {
        if (!double.IsFinite(value))
        {
            problems.Add(new SpecProblem(path, $"must be a finite number (got {SpecText.Number(value)})"));
            return;
        }
        bool aboveMin = rule.MinExclusive ? value > rule.Min : value >= rule.Min;
        bool belowMax = rule.MaxExclusive ? value < rule.Max : value <= rule.Max;
        if (!aboveMin || !belowMax)
        {
            problems.Add(new SpecProblem(path, $"must lie in {Range(rule)} (got {SpecText.Number(value)})"));
        }
    }

    private static void CheckText(string text, SpecFieldAttribute rule, string path, List<SpecProblem> problems)
    {
        if (text.Length > rule.MaxLength)
        {
            problems.Add(new SpecProblem(path, $"is {text.Length} characters long; at most {rule.MaxLength} are allowed"));
        }
        if (text.Any(SpecText.IsInvisible))
        {
            problems.Add(new SpecProblem(path, $"{SpecText.Quote(text)} holds control or invisible characters"));
        }
    }
}
