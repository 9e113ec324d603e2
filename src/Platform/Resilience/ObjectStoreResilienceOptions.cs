using System.Globalization;

namespace SemanticMIM.Platform.Resilience;

/// <summary>How <see cref="ResilientObjectStore"/> retries, times out and stops calling a failing store.</summary>
public sealed class ObjectStoreResilienceOptions
{
    /// <summary>Retries after the first attempt of a call that failed transiently (0: no retry).</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt may take (for a read: until the object starts arriving).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest upload accepted, in bytes per second: a put of N bytes gets <see cref="AttemptTimeout"/> plus
    /// N / this per attempt, so that a shard of hundreds of MB is not cut off by a timeout sized for small calls.
    /// 0 gives every put <see cref="AttemptTimeout"/> alone.
    /// </summary>
    public long MinimumTransferBytesPerSecond { get; set; } = 4L * 1024 * 1024;

    /// <summary>The share of failed attempts within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed within <see cref="SamplingDuration"/> before the circuit can open.</summary>
    public int MinimumThroughput { get; set; } = 8;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses calls before it lets one through to probe the store.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan OneDay = TimeSpan.FromDays(1);
    private static readonly TimeSpan HalfSecond = TimeSpan.FromMilliseconds(500);

    /// <summary>Every problem with these options (in the ranges Polly accepts), each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxRetryAttempts is < 0 or > 100)
        {
            problems.Add($"MaxRetryAttempts {MaxRetryAttempts} must be between 0 and 100");
        }
        if (BaseDelay < TimeSpan.Zero || BaseDelay > OneDay)
        {
            problems.Add($"BaseDelay {Format(BaseDelay)} must be between 00:00:00 and 1.00:00:00");
        }
        if (MaxDelay <= TimeSpan.Zero || MaxDelay > OneDay || MaxDelay < BaseDelay)
        {
            problems.Add($"MaxDelay {Format(MaxDelay)} must be positive, at most 1.00:00:00 and not below BaseDelay");
        }
        if (AttemptTimeout < TimeSpan.FromMilliseconds(10) || AttemptTimeout > OneDay)
        {
            problems.Add($"AttemptTimeout {Format(AttemptTimeout)} must be between 00:00:00.010 and 1.00:00:00");
        }
        if (MinimumTransferBytesPerSecond < 0)
        {
            problems.Add($"MinimumTransferBytesPerSecond {MinimumTransferBytesPerSecond} must not be negative");
        }
        if (double.IsNaN(FailureRatio) || FailureRatio <= 0 || FailureRatio > 1)
        {
            problems.Add($"FailureRatio {FailureRatio.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1");
        }
        if (MinimumThroughput < 2)
        {
            problems.Add($"MinimumThroughput {MinimumThroughput} must be at least 2");
        }
        if (SamplingDuration < HalfSecond || SamplingDuration > OneDay)
        {
            problems.Add($"SamplingDuration {Format(SamplingDuration)} must be between 00:00:00.500 and 1.00:00:00");
        }
        if (BreakDuration < HalfSecond || BreakDuration > OneDay)
        {
            problems.Add($"BreakDuration {Format(BreakDuration)} must be between 00:00:00.500 and 1.00:00:00");
        }
        return problems;
    }

    private static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
