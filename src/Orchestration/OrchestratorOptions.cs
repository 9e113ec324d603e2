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

    /// <summary>
    /// How often every record's outbox is checked for messages a failed publish left behind, and each shared pretraining an
    /// experiment waits for is asked about again.
    /// </summary>
    public TimeSpan OutboxSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When token targets are computed by GPU tokens jobs rather than the target service (<c>Orchestrator:Tokens</c>).</summary>
    public TokensJobsOptions Tokens { get; set; } = new();
}

/// <summary>
/// Token targets of large data sets go to tokens jobs on GPUs (the trainer's image), split into <see cref="Parts"/>
/// contiguous parts of the training shards; HOG targets and the tokens of small data sets stay on the target service.
/// </summary>
public sealed class TokensJobsOptions
{
    /// <summary>GPUs of each tokens job (the chart's <c>tokens.gpu.count</c>); 0, the default, keeps every target on the target service.</summary>
    public int Gpus { get; set; }

    /// <summary>Training samples above which an experiment's token targets go to tokens jobs.</summary>
    public long SampleThreshold { get; set; } = 50_000;

    /// <summary>Tokens jobs per experiment, each computing a contiguous part of the training shards.</summary>
    public int Parts { get; set; } = 4;

    /// <summary>Upper bound of <see cref="Parts"/>: the part index travels in the Job's name, which must stay a short DNS label.</summary>
    public const int MaxParts = 256;

    /// <summary>
    /// How many tokens jobs compute the targets of <paramref name="targets"/> for <paramref name="trainSamples"/> samples; 0: the
    /// target service does, or nothing is stored (<c>target.views: 0</c>).
    /// </summary>
    public int PartsFor(Planning.TargetPlan targets, long trainSamples) =>
        Gpus > 0 && !targets.IsHog && targets.Views > 0 && trainSamples > SampleThreshold ? Parts : 0;
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
        if (options.Tokens is null)
        {
            yield return $"{at}:Tokens is null.";
            yield break;
        }
        if (options.Tokens.Gpus < 0)
        {
            yield return $"{at}:Tokens:Gpus is {options.Tokens.Gpus}; it must be 0 (no tokens jobs) or more.";
        }
        if (options.Tokens.SampleThreshold < 0)
        {
            yield return $"{at}:Tokens:SampleThreshold is {options.Tokens.SampleThreshold}; it must be 0 or more.";
        }
        if (options.Tokens.Parts is < 1 or > TokensJobsOptions.MaxParts)
        {
            yield return $"{at}:Tokens:Parts is {options.Tokens.Parts}; it must be between 1 and {TokensJobsOptions.MaxParts}.";
        }
    }
}
