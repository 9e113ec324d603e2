using System.Text.Json;

namespace SemanticMIM.Build.Tests;

/// <summary>
/// The orchestrator plans and coordinates without the ML stack: its restore closure (every package and project it
/// loads, transitively) holds no TorchSharp, libtorch, SkiaSharp or ScottPlot, and none of the ML libraries.
/// </summary>
public sealed class OrchestratorClosureTests
{
    private static readonly string[] MlPackages = ["TorchSharp", "libtorch", "SkiaSharp", "ScottPlot"];

    private static readonly string[] MlProjects = ["SemanticMIM.Model", "SemanticMIM.Data", "SemanticMIM.Training", "SemanticMIM.Evaluation",
        "SemanticMIM.Pipeline", "SemanticMIM.Workers"];

    [Fact]
    public void The_orchestrators_closure_has_no_ml_package_or_library()
    {
        string assets = Path.Combine(InfrastructureScript.RepositoryRoot(), "services", "Orchestrator", "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing: restore services/Orchestrator first");
        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = document.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => (Name: library.Name.Split('/')[0], Type: library.Value.GetProperty("type").GetString()))
            .ToList();

        Assert.Contains(libraries, library => library.Name == "SemanticMIM.Orchestration" && library.Type == "project");
        Assert.Contains(libraries, library => library.Name == "SemanticMIM.Planning" && library.Type == "project");
        Assert.DoesNotContain(libraries, library => MlPackages.Any(ml => library.Name.StartsWith(ml, StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(libraries, library => MlProjects.Contains(library.Name, StringComparer.Ordinal));
    }
}
