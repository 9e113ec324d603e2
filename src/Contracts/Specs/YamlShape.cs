using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace SemanticMIM.Contracts.Specs;

/// <summary>
/// Bounds a spec's YAML before it is loaded into nodes: its length, its nesting and its number of values with every
/// alias counted as often as it is used. Loading nests one call per level (a deep document overflows the stack, which no
/// handler can catch) and aliases multiply the values a binder visits (a few lines of anchors expand to billions), so
/// both are checked on the parser's flat event stream first. A spec is a few hundred values, four levels deep.
/// </summary>
internal static class YamlShape
{
    public const int MaxCharacters = 1 << 20;
    public const int MaxDepth = 32;
    public const int MaxValues = 10_000;

    /// <summary>Loads <paramref name="yaml"/> into nodes once its shape is bounded; a document too large, too deep or not YAML is one problem.</summary>
    /// <exception cref="InvalidSpecException">The document's problem, under <c>(document)</c>.</exception>
    public static YamlStream Load(string yaml, string source)
    {
        if (Problem(yaml) is { } shape)
        {
            throw new InvalidSpecException(source, [new SpecProblem("(document)", shape)]);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new InvalidSpecException(source, [new SpecProblem("(document)", NotValid(ex))]);
        }
        return stream;
    }

    /// <summary>The first reason the document cannot be a spec, or null when it may be loaded.</summary>
    public static string? Problem(string yaml)
    {
        if (yaml.Length > MaxCharacters)
        {
            return $"is {yaml.Length} characters long; a spec has at most {MaxCharacters}";
        }
        var anchored = new Dictionary<string, long>(StringComparer.Ordinal);
        var open = new Stack<(AnchorName Anchor, long FirstValue)>();
        long values = 0;
        var parser = new Parser(new StringReader(yaml));
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case AnchorAlias alias:
                        values += anchored.GetValueOrDefault(alias.Value.Value, 1);
                        break;
                    case Scalar scalar:
                        values++;
                        if (!scalar.Anchor.IsEmpty)
                        {
                            anchored[scalar.Anchor.Value] = 1;
                        }
                        break;
                    case MappingStart or SequenceStart:
                        values++;
                        open.Push((((NodeEvent)parser.Current).Anchor, values));
                        if (open.Count > MaxDepth)
                        {
                            return $"nests deeper than {MaxDepth} levels";
                        }
                        break;
                    case MappingEnd or SequenceEnd:
                        var (anchor, first) = open.Pop();
                        if (!anchor.IsEmpty)
                        {
                            anchored[anchor.Value] = values - first + 1;
                        }
                        break;
                }
                if (values > MaxValues)
                {
                    return $"holds more than {MaxValues} values (an alias counts as often as it is used)";
                }
            }
        }
        catch (YamlException error)
        {
            return NotValid(error);
        }
        return null;
    }

    public static string NotValid(YamlException error) =>
        $"not valid YAML at line {error.Start.Line}, column {error.Start.Column}: {SpecText.Quote(error.Message)}";
}
