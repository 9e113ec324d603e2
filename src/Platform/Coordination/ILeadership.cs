namespace SemanticMIM.Platform.Coordination;

/// <summary>
/// Whether this process is the one replica that does the work (the leader). Components that must run on one replica
/// only (the orchestrator's consumers, its recovery and watchdog, the Job watcher) wait for a term of leadership and
/// stop when it ends. Without leader election (<see cref="AlwaysLeader"/>) the process leads from start to end.
/// </summary>
public interface ILeadership
{
    /// <summary>True while this process leads.</summary>
    bool IsLeader { get; }

    /// <summary>
    /// Completes once this process leads (at once if it does) with a token that is cancelled when that term of
    /// leadership ends; work started for the term should stop when it is.
    /// </summary>
    Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken);
}

/// <summary>The leadership of a process that runs alone: it always leads (no election).</summary>
public sealed class AlwaysLeader : ILeadership
{
    public bool IsLeader => true;

    public Task<CancellationToken> WaitForLeadershipAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? Task.FromCanceled<CancellationToken>(cancellationToken)
            : Task.FromResult(CancellationToken.None);
}
