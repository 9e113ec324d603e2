namespace SemanticMIM.Planning.Configs;

/// <summary>How many patches a mask ratio masks: n_m = ceil(N · r), spec (b); the planner and the mask generators share it.</summary>
public static class MaskCount
{
    /// <exception cref="ArgumentOutOfRangeException">The ratio does not lie in (0, 1).</exception>
    public static int For(int numPatches, double ratio)
    {
        if (ratio is <= 0 or >= 1 || double.IsNaN(ratio))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "the mask ratio must lie in (0, 1)");
        }
        // Rounding first keeps binary noise (0.6 · 65 = 39.000000000000004) from adding a patch.
        return (int)Math.Ceiling(Math.Round(numPatches * ratio, 9));
    }
}
