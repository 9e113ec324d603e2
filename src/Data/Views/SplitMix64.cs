namespace SemanticMIM.Data.Views;

/// <summary>
/// A tiny counter-based random source: the stream for (seed, sample, view) is fixed by those numbers alone, so
/// any view can be re-derived without replaying the views before it, on any machine and in any order.
/// </summary>
public struct SplitMix64
{
    private ulong _state;

    public SplitMix64(long seed, long stream, long substream)
    {
        _state = Mix(Mix(Mix(unchecked((ulong)seed)) ^ unchecked((ulong)stream)) ^ unchecked((ulong)substream));
    }

    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        return (int)(NextUInt64() % (ulong)exclusiveMax);
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
