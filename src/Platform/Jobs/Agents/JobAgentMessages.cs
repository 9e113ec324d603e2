namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>
/// Asks a job agent to run <see cref="Job"/>: sent to the queue of its kind (<see cref="JobQueues"/>), where the
/// agents that run that kind compete for it. <see cref="Attempt"/> matches the job's record; an older attempt is stale.
/// </summary>
public sealed record RunJob
{
    public required JobSpec Job { get; init; }

    public required int Attempt { get; init; }
}

/// <summary>Published to every job agent: the one running the job named <see cref="Name"/> stops it.</summary>
public sealed record CancelJob
{
    public required string Name { get; init; }
}

/// <summary>The queue each job kind's requests wait in: <c>jobs-&lt;kind&gt;</c>.</summary>
public static class JobQueues
{
    public static string For(string kind) => $"jobs-{kind}";

    public static Uri AddressOf(string kind) => new($"queue:{For(kind)}");
}
