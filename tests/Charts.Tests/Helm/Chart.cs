using System.Collections.Concurrent;

namespace SemanticMIM.Charts.Tests.Helm;

/// <summary>
/// The chart under test (<c>charts/semanticmim</c>) and its renderings: <c>helm template</c> and <c>helm lint</c> with
/// one of the values files in <c>tests/Charts.Tests/values/</c>. Renderings are cached per argument list.
/// </summary>
public static class Chart
{
    public const string ReleaseName = "mim";

    public const string Namespace = "semanticmim";

    static readonly ConcurrentDictionary<string, Lazy<Task<HelmResult>>> Templates = new();

    /// <summary>The repository root (the folder holding <c>charts/semanticmim/Chart.yaml</c>).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ChartFolder => Path.Combine(RepositoryRoot, "charts", "semanticmim");

    /// <summary>The values files of the render matrix, by name (the file name in <c>values/</c>).</summary>
    public static string ValuesFile(string name) => Path.Combine(AppContext.BaseDirectory, "values", name);

    /// <summary><c>helm template</c> with the given values file (null: the chart's defaults) and extra arguments.</summary>
    public static Task<HelmResult> TemplateAsync(string? valuesFile, params string[] extraArguments)
    {
        var arguments = new List<string> { "template", ReleaseName, ChartFolder, "--namespace", Namespace };
        if (valuesFile is not null)
        {
            arguments.Add("--values");
            arguments.Add(ValuesFile(valuesFile));
        }

        arguments.AddRange(extraArguments);
        var key = string.Join('\u0001', arguments);
        return Templates.GetOrAdd(key, _ => new Lazy<Task<HelmResult>>(() => HelmTool.RunAsync(arguments))).Value;
    }

    /// <summary>Renders and parses; fails with helm's own message when rendering fails.</summary>
    public static async Task<RenderedChart> RenderAsync(string? valuesFile, params string[] extraArguments)
    {
        var result = await TemplateAsync(valuesFile, extraArguments);
        Assert.True(result.Succeeded, $"helm template with {valuesFile ?? "the defaults"} failed: {result}");
        return RenderedChart.Parse(result.Output);
    }

    /// <summary><c>helm install --dry-run=client</c>: renders everything, NOTES.txt included, without a cluster.</summary>
    public static Task<HelmResult> InstallDryRunAsync(string? valuesFile)
    {
        var arguments = new List<string> { "install", ReleaseName, ChartFolder, "--namespace", Namespace, "--dry-run=client" };
        if (valuesFile is not null)
        {
            arguments.Add("--values");
            arguments.Add(ValuesFile(valuesFile));
        }

        return HelmTool.RunAsync(arguments);
    }

    public static Task<HelmResult> LintAsync(string? valuesFile)
    {
        var arguments = new List<string> { "lint", ChartFolder, "--strict", "--namespace", Namespace };
        if (valuesFile is not null)
        {
            arguments.Add("--values");
            arguments.Add(ValuesFile(valuesFile));
        }

        return HelmTool.RunAsync(arguments);
    }

    static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "charts", "semanticmim", "Chart.yaml")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no charts/semanticmim/Chart.yaml above {AppContext.BaseDirectory}");
    }
}
