using System.Globalization;

namespace SemanticMIM.Training;

/// <summary>
/// A folder of checkpoints, one sub-folder per step (<c>step-00000010</c>). A checkpoint is written in a
/// partial folder, its manifest last, and then renamed into place, so a crash leaves no valid-looking folder.
/// </summary>
public static class CheckpointDirectory
{
    private const string StepPrefix = "step-";
    private const string PartialPrefix = ".partial-";

    public static string FolderName(int step) => StepPrefix + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes checkpoint <paramref name="step"/> under <paramref name="root"/>: <paramref name="writeFiles"/> fills a
    /// partial folder, the manifest commits it, a rename publishes it. Returns the checkpoint's folder.
    /// </summary>
    public static string Commit(string root, int step, Action<string> writeFiles)
    {
        Directory.CreateDirectory(root);
        var partial = Path.Combine(root, PartialPrefix + FolderName(step) + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(partial);
        try
        {
            writeFiles(partial);
            CheckpointManifest.Describe(partial, step).WriteTo(partial);
        }
        catch
        {
            Directory.Delete(partial, recursive: true);
            throw;
        }
        var final = Path.Combine(root, FolderName(step));
        if (Directory.Exists(final))
        {
            // An earlier attempt at the same step (complete or not) is replaced; the new one is committed first.
            var stale = Path.Combine(root, PartialPrefix + "replaced-" + Guid.NewGuid().ToString("N"));
            Directory.Move(final, stale);
            Directory.Move(partial, final);
            Directory.Delete(stale, recursive: true);
        }
        else
        {
            Directory.Move(partial, final);
        }
        return final;
    }

    /// <summary>The newest checkpoint under <paramref name="root"/> with a valid manifest, or null when there is none.</summary>
    public static string? LatestCheckpoint(string root)
    {
        if (!Directory.Exists(root))
        {
            return null;
        }
        return Directory.EnumerateDirectories(root, StepPrefix + "*")
            .Select(folder => (Folder: folder, Step: ParseStep(Path.GetFileName(folder))))
            .Where(c => c.Step is not null)
            .OrderByDescending(c => c.Step)
            .Select(c => c.Folder)
            .FirstOrDefault(folder => CheckpointManifest.ReadValid(folder) is not null);
    }

    /// <summary>The step of a checkpoint folder name, or null when the name is not one.</summary>
    public static int? ParseStep(string name) =>
        name.StartsWith(StepPrefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(StepPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
}
