namespace SemanticMIM.Planning.Validation;

/// <summary>
/// What the platform that runs a spec allows beyond the spec's own rules: the memory its trainer has, and the folders it
/// reads data from. The orchestrator takes them from its settings (<c>Validation:TrainerMemoryLimit</c>, <c>Data:Roots</c>);
/// <c>semanticmim run</c> from the machine it runs on.
/// </summary>
public sealed record SpecLimits
{
    /// <summary>Bytes a trainer may use; a spec whose <see cref="TrainingMemory"/> estimate exceeds them is refused. Null: not checked.</summary>
    public long? TrainerMemoryBytes { get; init; }

    /// <summary>Where <see cref="TrainerMemoryBytes"/> comes from, as a problem names it (a setting, or "this machine's memory").</summary>
    public string TrainerMemorySource { get; init; } = "Validation:TrainerMemoryLimit";

    /// <summary>
    /// Folders (absolute) that the data paths of a spec must lie in: data set sources and the DALL-E weights. Null: any path
    /// the process can read, as for a user running the embedded pipeline on their own machine; empty: none, so only the
    /// built-in data sets can be used.
    /// </summary>
    public IReadOnlyList<string>? DataRoots { get; init; }

    /// <summary>No limits: for specs already accepted (an experiment's record) and for tests.</summary>
    public static SpecLimits None { get; } = new();

    /// <summary>A user's own machine: any path they can read, and the memory this process may use.</summary>
    public static SpecLimits ThisMachine() => new()
    {
        TrainerMemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        TrainerMemorySource = "this machine's memory",
    };
}
