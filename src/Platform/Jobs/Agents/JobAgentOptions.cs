using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>A job agent's own settings (configuration section <c>JobAgent</c>, in the trainer and evaluator hosts).</summary>
public sealed class JobAgentOptions
{
    public const string SectionName = "JobAgent";

    /// <summary>Jobs this agent runs at once (one per GPU); while every slot is busy it takes no request.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>How often a running job's record gets a heartbeat, and the agent checks it still owns the job.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a claim is left to settle before the agent reads the record back: two agents that claimed the same
    /// request at once see the same last writer, and only that one runs it.
    /// </summary>
    public TimeSpan ClaimSettle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The agent's name in job records (default: the machine name and process id).</summary>
    public string Name { get; set; } = "";
}

public sealed class JobAgentOptionsValidator : OptionsValidator<JobAgentOptions>
{
    protected override IEnumerable<string> Problems(JobAgentOptions options)
    {
        string at = JobAgentOptions.SectionName;
        if (options.Slots is < 1 or > 64)
        {
            yield return $"{at}:Slots is {options.Slots}; it must lie in [1, 64].";
        }
        if (options.HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return $"{at}:HeartbeatInterval is {options.HeartbeatInterval}; it must be positive.";
        }
        if (options.ClaimSettle < TimeSpan.Zero || options.ClaimSettle >= options.HeartbeatInterval)
        {
            yield return $"{at}:ClaimSettle is {options.ClaimSettle}; it must lie in [0, HeartbeatInterval).";
        }
    }
}

/// <summary>How the orchestrator supervises jobs run by agents (configuration section <c>JobAgents</c>).</summary>
public sealed class JobAgentSupervisionOptions
{
    public const string SectionName = "JobAgents";

    /// <summary>A running job whose heartbeat is older than this lost its agent: it is counted as failed and relaunched.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed runs a job may have before it is reported as failed for good (as a Kubernetes Job's backoffLimit).</summary>
    public int BackoffLimit { get; set; } = 2;
}

public sealed class JobAgentSupervisionOptionsValidator : OptionsValidator<JobAgentSupervisionOptions>
{
    protected override IEnumerable<string> Problems(JobAgentSupervisionOptions options)
    {
        string at = JobAgentSupervisionOptions.SectionName;
        if (options.HeartbeatTimeout <= TimeSpan.Zero)
        {
            yield return $"{at}:HeartbeatTimeout is {options.HeartbeatTimeout}; it must be positive.";
        }
        if (options.ScanInterval <= TimeSpan.Zero)
        {
            yield return $"{at}:ScanInterval is {options.ScanInterval}; it must be positive.";
        }
        if (options.BackoffLimit is < 0 or > 100)
        {
            yield return $"{at}:BackoffLimit is {options.BackoffLimit}; it must lie in [0, 100].";
        }
    }
}
