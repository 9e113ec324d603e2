namespace SemanticMIM.Planning.Tests;

internal static class Repository
{
    /// <summary>The repository's root folder, found from the test assembly's folder.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SemanticMIM.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("the repository root (SemanticMIM.sln) is not above the test assembly");
    }
}
