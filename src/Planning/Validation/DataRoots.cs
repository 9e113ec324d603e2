namespace SemanticMIM.Planning.Validation;

/// <summary>Whether a path from a spec lies inside one of the folders a service may read.</summary>
public static class DataRoots
{
    /// <summary>
    /// True when <paramref name="path"/>, made absolute and with its <c>.</c> and <c>..</c> segments resolved, is one of
    /// <paramref name="roots"/> or lies below one. Text with characters no path can hold never does. Links inside a root
    /// are the operator's: a root is a folder whose content the platform's operator controls.
    /// </summary>
    public static bool Contain(IReadOnlyList<string> roots, string path)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }
        // Compared with a trailing separator each, so that /data admits /data and /data/x but not /database.
        string full = WithSeparator(Path.GetFullPath(path));
        return roots.Where(root => root.Length > 0 && Path.IsPathFullyQualified(root))
            .Any(root => full.StartsWith(WithSeparator(Path.GetFullPath(root)), StringComparison.Ordinal));
    }

    private static string WithSeparator(string path) => Path.EndsInDirectorySeparator(path) ? path : path + Path.DirectorySeparatorChar;
}
