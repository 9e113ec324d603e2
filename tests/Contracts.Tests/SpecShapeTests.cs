using System.Globalization;
using SemanticMIM.Contracts.Specs;

namespace SemanticMIM.Contracts.Tests;

/// <summary>
/// YAML of any shape and values of any size are answered with listed problems: never another exception, a crash or a
/// hang, and never a value that passes and then breaks a run.
/// </summary>
public sealed class SpecShapeTests
{
    private const string Valid = "name: x\ntraining: { steps: 1 }\n";

    private static IReadOnlyList<string> Problems(string yaml) =>
        Assert.Throws<InvalidSpecException>(() => SpecReader.Read(yaml, "test.yaml")).Problems.Select(p => p.ToString()).ToList();

    public static TheoryData<string, string> Shapes() => new()
    {
        // A mapping used as a key used to end in an unhandled InvalidCastException.
        { "name: x\n{ a: 1 }: 2\ntraining: { steps: 1 }", "(document): a key must be a plain name, not a mapping" },
        { "name: x\ntraining:\n  [steps]: 1", "training: a key must be a plain name, not a list" },
        { "name: x\nname: y\ntraining: { steps: 1 }", "(document): not valid YAML at line 2" },
        { "name: *nowhere\ntraining: { steps: 1 }", "(document): not valid YAML" },
        { "name: x\ntraining: { steps: 1 }\nevaluations: { protocol: linearProbe }", "evaluations: expected a list, not a mapping" },
        { "name: x\ntraining: { steps: [1] }", "training.steps: expected a single value (an integer), not a list" },
        { "name: x\ntraining: { steps: 1 }\nevaluations: [ [linearProbe] ]", "evaluations[0]: expected a mapping of keys to values, not a list" },
        { "name: x\ntraining: { steps: 1 }\n---\nname: y", "(document): expected exactly one YAML mapping" },
        { "", "(document): expected exactly one YAML mapping" },
        { "name: x\ntraining: { steps: \"\\ud800\" }", "(document): not valid YAML" },
        { "name: x\ntraining: { steps: 1 }\n\"a\\nb\": 1", "'a\\u000Ab': unknown field" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_shape_of_YAML_becomes_a_listed_problem(string yaml, string expected) =>
        Assert.Contains(Problems(yaml), p => p.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void Nesting_too_deep_for_the_loader_is_refused_before_it_could_overflow_the_stack()
    {
        // 200 000 levels overflow YamlDotNet's recursive loader: the process would die with no handler run.
        string deep = "name: x\ntraining: { steps: 1 }\nmodel: " + new string('[', 200_000) + new string(']', 200_000);

        Assert.Equal(["(document): nests deeper than 32 levels"], Problems(deep));
    }

    [Fact]
    public void Aliases_that_expand_past_any_spec_are_refused_before_binding()
    {
        // Nine levels of ten aliases each: a billion values once expanded, from a few hundred characters.
        var yaml = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level < 10; level++)
        {
            string previous = $"*a{level - 1}";
            yaml.Append(CultureInfo.InvariantCulture, $"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat(previous, 10))}]\n");
        }

        var problems = Problems(yaml + Valid);

        Assert.Equal(["(document): holds more than 10000 values (an alias counts as often as it is used)"], problems);
    }

    [Fact]
    public void Anchors_and_aliases_within_bounds_read_as_their_values()
    {
        var spec = SpecReader.Read("name: x\ntraining: &t { steps: 3, batchSize: 8 }\nevaluations:\n  - { protocol: linearProbe, batchSize: 8 }\n");

        Assert.Equal((3, 8), (spec.Training.Steps, spec.Training.BatchSize));
    }

    [Fact]
    public void A_document_longer_than_any_spec_is_refused_unread()
    {
        string huge = Valid + "# " + new string('x', (int)SpecReader.MaxFileBytes);

        Assert.StartsWith("(document): is ", Assert.Single(Problems(huge)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_spec_file_larger_than_any_spec_is_refused_before_it_is_read()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "huge.yaml");
        using (var file = File.Create(path))
        {
            file.SetLength(SpecReader.MaxFileBytes + 1);
        }

        var error = Assert.Throws<InvalidSpecException>(() => SpecReader.ReadFile(path));

        Assert.Equal($"(document): is {SpecReader.MaxFileBytes + 1} bytes long; a spec has at most {SpecReader.MaxFileBytes}", Assert.Single(error.Problems).ToString());
    }

    public static TheoryData<string, string> AbsurdValues() => new()
    {
        // Each of these passed validation and then crashed the process or looped through retries.
        { "training: { steps: 1, learningRate: 1e309 }", "training.learningRate: must be a finite number (got Infinity)" },
        { "training: { steps: 1, learningRate: NaN }", "training.learningRate: must be a finite number (got NaN)" },
        { "training: { steps: 1, weightDecay: Infinity }", "training.weightDecay: must be a finite number (got Infinity)" },
        { "training: { steps: 1, batchSize: 1000000000 }", "training.batchSize: must lie in [1, 65536] (got 1000000000)" },
        { "training: { steps: 1 }\ndataset: { shardSize: 2000000000 }", "dataset.shardSize: must lie in [1, 100000] (got 2000000000)" },
        { "training: { steps: 1, accumulation: 100000 }", "training.accumulation: must lie in [1, 1024] (got 100000)" },
        { "training: { steps: 1, gradClip: -1 }", "training.gradClip: must lie in [0, 1000000] (got -1)" },
        { "training: { steps: 1, checkpointMinutes: -5 }", "training.checkpointMinutes: must lie in [0, 10080] (got -5)" },
        { "training: { steps: 1 }\nmodel: { depth: 10000 }", "model.depth: must lie in [0, 48] (got 10000)" },
        { "training: { steps: 1 }\nevaluations: [ { protocol: linearProbe, batchSize: 99999999 } ]", "evaluations[0].batchSize: must lie in [0, 65536] (got 99999999)" },
        { "training: { steps: 1 }\ndataset: { kind: imageNet, source: \"/data/in\\u0007\", imageSize: 224, channels: 3 }",
            "dataset.source: '/data/in\\u0007' holds control or invisible characters" },
        { "training: { steps: 1 }\ntarget: { kind: tokens, tokenizer: dalle, dalleWeights: \"/w\\u202Etxt.pkl\" }",
            "target.dalleWeights: '/w\\u202Etxt.pkl' holds control or invisible characters" },
    };

    [Theory]
    [MemberData(nameof(AbsurdValues))]
    public void Absurd_values_are_refused_with_their_bounds(string yaml, string expected) =>
        Assert.Contains(expected, Problems("name: x\n" + yaml));

    [Theory]
    [InlineData("\"x\\n\"")]
    [InlineData("\"x\\u0000\"")]
    [InlineData("\"x\\r\"")]
    [InlineData("x-")]
    [InlineData("-x")]
    [InlineData("\"x\\u200Bx\"")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Names_that_are_not_Kubernetes_label_values_are_refused(string name) =>
        Assert.Contains(Problems($"name: {name}\ntraining: {{ steps: 1 }}"), p => p.StartsWith("name: '", StringComparison.Ordinal));

    public static TheoryData<string> NumberFields() => [.. SpecFields.All.Where(f => f.IsNumber).Select(f => f.Path)];

    [Theory]
    [MemberData(nameof(NumberFields))]
    public void Every_number_field_refuses_values_beyond_its_documented_maximum(string path)
    {
        var field = SpecFields.All.Single(f => f.Path == path);
        string beyond = field.ValueType == typeof(int) ? ((long)field.Rule.Max + 1).ToString(CultureInfo.InvariantCulture) : "1e300";
        bool fitsAnInt = field.ValueType != typeof(int) || (long)field.Rule.Max < int.MaxValue;

        var problems = Problems(WithValue(path, beyond));

        // An int field whose maximum is int.MaxValue has no larger integer: the binder refuses the text instead.
        string expected = fitsAnInt ? $"{Indexed(path)}: must lie in {SpecFields.Range(field.Rule)}" : $"{Indexed(path)}: '{beyond}' is not an integer";
        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_field_is_documented_with_its_bounds_and_every_default_lies_within_them()
    {
        Assert.NotEmpty(SpecFields.All);
        foreach (var field in SpecFields.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(field.Rule.Meaning), $"{field.Path} has no meaning");
            if (field.IsNumber)
            {
                Assert.True(double.IsFinite(field.Rule.Min) && double.IsFinite(field.Rule.Max) && field.Rule.Min < field.Rule.Max, $"{field.Path} has no range");
                // A field that may stay unset (null) has no default value to check.
                if (field.Default is not null)
                {
                    double value = Convert.ToDouble(field.Default, CultureInfo.InvariantCulture);
                    Assert.True(value >= field.Rule.Min && value <= field.Rule.Max, $"{field.Path}'s default {value} lies outside its range");
                }
            }
            if (field.IsText)
            {
                Assert.True(field.Rule.MaxLength > 0, $"{field.Path} has no length limit");
            }
        }
    }

    // The YAML of a minimal valid spec with one more field set; list fields go in a first evaluation.
    private static string WithValue(string path, string value)
    {
        var parts = path.Replace("[]", "", StringComparison.Ordinal).Split('.');
        string leaf = $"{parts[^1]}: {value}";
        string nested = parts[..^1].Reverse().Aggregate(leaf, (inner, key) => key == "evaluations" ? $"{key}: [ {{ {inner} }} ]" : $"{key}: {{ {inner} }}");
        return parts[0] != "training" ? $"{Valid}{nested}"
            : path == "training.steps" ? $"name: x\n{nested}"
            : $"name: x\n{nested.Replace("training: { ", "training: { steps: 1, ", StringComparison.Ordinal)}";
    }

    private static string Indexed(string path) => path.Replace("[]", "[0]", StringComparison.Ordinal);

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("spec-shape-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
