namespace SemanticMIM.Evaluation;

/// <summary>
/// One number of a probe table: <paramref name="Metric"/> (<see cref="ProbeMetrics"/>, a fraction in [0, 1]) of
/// the probe on <paramref name="Feature"/> of encoder layer <paramref name="Layer"/> (1-based; 0 = raw pixels).
/// </summary>
public sealed record ProbeResult(int Layer, string Feature, string Metric, double Value);
