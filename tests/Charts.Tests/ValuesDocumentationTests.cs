using System.Text.RegularExpressions;
using SemanticMIM.Charts.Tests.Helm;
using YamlDotNet.RepresentationModel;

namespace SemanticMIM.Charts.Tests;

/// <summary>values.yaml documents every value (Bitnami's <c>## @param path description</c>) and nothing that is not there.</summary>
public sealed partial class ValuesDocumentationTests
{
    [Fact]
    public void EveryValueHasAParamLineAndEveryParamLineAValue()
    {
        string text = File.ReadAllText(Path.Combine(Chart.ChartFolder, "values.yaml"));
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var leaves = new List<string>();
        Collect((YamlMappingNode)stream.Documents[0].RootNode, "", leaves);
        var documented = ParamLine().Matches(text).ToDictionary(m => m.Groups["path"].Value, m => m.Groups["description"].Value.Trim());

        Assert.True(leaves.Count > 100, $"only {leaves.Count} values");
        var undocumented = leaves.Where(leaf => !documented.Keys.Any(param => leaf == param || leaf.StartsWith(param + ".", StringComparison.Ordinal))).ToList();
        Assert.True(undocumented.Count == 0, "values without a ## @param line: " + string.Join(", ", undocumented));
        var stale = documented.Keys.Where(param => !leaves.Any(leaf => leaf == param || leaf.StartsWith(param + ".", StringComparison.Ordinal))).ToList();
        Assert.True(stale.Count == 0, "## @param lines naming no value: " + string.Join(", ", stale));
        Assert.All(documented, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), $"{pair.Key} has no description"));
    }

    [Fact]
    public void NoCredentialHasADefault()
    {
        string text = File.ReadAllText(Path.Combine(Chart.ChartFolder, "values.yaml"));
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var values = new Dictionary<string, string>();
        CollectScalars((YamlMappingNode)stream.Documents[0].RootNode, "", values);

        var credentials = values.Where(pair => CredentialKey().IsMatch(pair.Key.Split('.')[^1])).ToList();
        Assert.True(credentials.Count >= 6, string.Join(", ", credentials.Select(c => c.Key)));
        Assert.All(credentials, pair => Assert.True(pair.Value.Length == 0, $"{pair.Key} has a default: '{pair.Value}'"));
    }

    static void Collect(YamlMappingNode map, string prefix, List<string> leaves)
    {
        foreach (var (key, value) in map.Children)
        {
            string path = prefix + ((YamlScalarNode)key).Value;
            if (value is YamlMappingNode { Children.Count: > 0 } child)
            {
                Collect(child, path + ".", leaves);
            }
            else
            {
                leaves.Add(path);
            }
        }
    }

    static void CollectScalars(YamlMappingNode map, string prefix, Dictionary<string, string> values)
    {
        foreach (var (key, value) in map.Children)
        {
            string path = prefix + ((YamlScalarNode)key).Value;
            if (value is YamlMappingNode child)
            {
                CollectScalars(child, path + ".", values);
            }
            else if (value is YamlScalarNode scalar)
            {
                values[path] = scalar.Value ?? "";
            }
        }
    }

    [GeneratedRegex(@"^\s*## @param (?<path>[A-Za-z0-9_.]+)(?<description>.*)$", RegexOptions.Multiline)]
    private static partial Regex ParamLine();

    [GeneratedRegex(@"^(password|rootUser|rootPassword|accessKey|secretKey|uri)$")]
    private static partial Regex CredentialKey();
}
