using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Orchestration;

/// <summary>The orchestrator's own settings (configuration section <c>Orchestrator</c>).</summary>
public sealed class OrchestratorOptions
{
    public const string SectionName = "Orchestrator";

    /// <summary>Longest silence of a stage before the watchdog fails it; pretraining reports often, an evaluation only when done.</summary>
    public TimeSpan StageTimeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the watchdog looks for stalled experiments.</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often every record's outbox is checked for messages a failed publish left behind.</summary>
    public TimeSpan OutboxSweepInterval { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class OrchestratorOptionsValidator : OptionsValidator<OrchestratorOptions>
{
    protected override IEnumerable<string> Problems(OrchestratorOptions options)
    {
        string at = OrchestratorOptions.SectionName;
        if (options.StageTimeout <= TimeSpan.Zero)
        {
            yield return $"{at}:StageTimeout is {options.StageTimeout}; it must be positive.";
        }
        if (options.ScanInterval <= TimeSpan.Zero)
        {
            yield return $"{at}:ScanInterval is {options.ScanInterval}; it must be positive.";
        }
        if (options.OutboxSweepInterval <= TimeSpan.Zero)
        {
            yield return $"{at}:OutboxSweepInterval is {options.OutboxSweepInterval}; it must be positive.";
        }
    }
}
