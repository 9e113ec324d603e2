using Microsoft.Extensions.Configuration;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// How often a failed unit of work (a split to shard, a shard's targets, a job launch) is retried in place
/// before its message goes to the error queue and the experiment fails (configuration section <c>Retry</c>).
/// </summary>
public sealed record UnitRetryOptions
{
    public const string SectionName = "Retry";

    public IReadOnlyList<TimeSpan> Intervals { get; init; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary>
    /// <c>Retry:Intervals:0</c>, <c>:1</c>, … when configured, else the defaults. Read explicitly: the configuration
    /// binder would append the configured intervals to the default list instead of replacing it.
    /// </summary>
    public static UnitRetryOptions From(IConfiguration configuration)
    {
        var configured = configuration.GetSection($"{SectionName}:Intervals").Get<TimeSpan[]>();
        return configured is { Length: > 0 } ? new UnitRetryOptions { Intervals = configured } : new UnitRetryOptions();
    }
}
