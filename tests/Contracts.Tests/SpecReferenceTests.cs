using SemanticMIM.Contracts.Specs;

namespace SemanticMIM.Contracts.Tests;

public sealed class SpecReferenceTests
{
    private static string ReferencePath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SemanticMIM.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir!.FullName, "src", "Contracts", "Specs", "README.md");
    }

    [Fact]
    public void The_spec_reference_lists_every_field_as_the_code_bounds_it()
    {
        string path = ReferencePath();
        string written = File.ReadAllText(path);
        string generated = SpecReference.WithFieldTable(written);
        if (written != generated && Environment.GetEnvironmentVariable("SEMANTICMIM_UPDATE_SPEC_REFERENCE") == "1")
        {
            File.WriteAllText(path, generated);
            written = generated;
        }

        Assert.True(written == generated,
            $"{path} differs from the [SpecField] attributes; run the Contracts tests with SEMANTICMIM_UPDATE_SPEC_REFERENCE=1 to regenerate its table");
    }

    [Fact]
    public void Every_field_has_one_row_with_its_type_default_and_bounds()
    {
        string table = SpecReference.FieldTable();

        Assert.Contains("| `training.batchSize` | integer | 128 | 1 | 65536 |", table);
        Assert.Contains("| `masking.ratio` | number | 0.6 | > 0 | < 1 |", table);
        Assert.Contains("| `training.checkpointMinutes` | number | 10 | 0 | 10080 |", table);
        Assert.Contains("| `method` | one of semanticMim, baseline | semanticMim |", table);
        Assert.Contains("| `name` | text (≤ 63 characters) | (empty) |", table);
        Assert.Contains("| `evaluations[].dataset` | mapping | none |", table);
        Assert.DoesNotContain("`evaluations[].dataset.source`", table);
        foreach (var field in SpecFields.All.Where(f => !f.Path.StartsWith("evaluations[].dataset.", StringComparison.Ordinal)))
        {
            Assert.Contains($"| `{field.Path}` |", table);
        }
    }
}
