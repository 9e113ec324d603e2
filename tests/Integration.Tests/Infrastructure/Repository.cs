namespace SemanticMIM.Integration.Tests.Infrastructure;

/// <summary>Where the repository, the built services and the CLI are, for the configuration these tests were built with.</summary>
public static class Repository
{
    public static string Root { get; } = InfrastructureScript.RepositoryRoot();

    /// <summary>Debug or Release: the folder above <c>net10.0</c> in this test assembly's path (bin/&lt;Configuration&gt;/net10.0/).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name
        ?? throw new InvalidOperationException($"no configuration folder above {AppContext.BaseDirectory}");

    /// <summary>The dotnet host that runs this test process (so the services run on the same runtime).</summary>
    public static string DotNet { get; } = FindDotNet();

    /// <summary><c>services/&lt;Name&gt;/bin/&lt;Configuration&gt;/net10.0/semanticmim-&lt;name&gt;.dll</c>, checked to exist.</summary>
    public static string ServiceAssembly(string name) =>
        Existing(Path.Combine(Root, "services", name, "bin", Configuration, "net10.0", $"semanticmim-{name.ToLowerInvariant()}.dll"));

    /// <summary><c>src/Cli/bin/&lt;Configuration&gt;/net10.0/semanticmim.dll</c>, checked to exist.</summary>
    public static string CliAssembly => Existing(Path.Combine(Root, "src", "Cli", "bin", Configuration, "net10.0", "semanticmim.dll"));

    private static string Existing(string path) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"{path} does not exist: build tests/Integration.Tests (it builds every service and the CLI first) with the same configuration ({Configuration})", path);

    private static string FindDotNet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            return path;
        }
        return "dotnet";
    }
}
