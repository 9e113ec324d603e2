namespace SemanticMIM.Platform.Resilience;

/// <summary>
/// How <see cref="ResilientObjectStore"/> retries, times out and stops calling a failing store: the section
/// <c>Storage:Resilience</c> (environment variables <c>Storage__Resilience__MaxRetryAttempts</c>, …), checked by
/// <see cref="ObjectStoreResilienceOptionsValidator"/>. Durations are <c>hh:mm:ss[.fff]</c>.
/// </summary>
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

    /// <summary>
    /// The longest wait for the next bytes of an object being read: a body that stalls longer is dropped and the
    /// rest asked for again from where it stopped.
    /// </summary>
    public TimeSpan ReadIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often one read of an object may resume after its body broke or stalled before it fails.</summary>
    public int MaxReadResumes { get; set; } = 8;
}
