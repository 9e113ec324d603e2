namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// How often a failed unit of work (a split to shard, a shard's targets, a job launch) is retried in place
/// before its message goes to the error queue and the experiment fails (configuration section <c>Retry</c>).
/// </summary>
public sealed record UnitRetryOptions
{
    public const string SectionName = "Retry";

    public IReadOnlyList<TimeSpan> Intervals { get; init; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];
}
