namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// A perceptually uniform colour map close to matplotlib's viridis: linear interpolation between its colours at
/// nine evenly spaced points, which stays close to the full 256-entry table.
/// </summary>
public static class Viridis
{
    private static readonly (byte R, byte G, byte B)[] Anchors =
    [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 145, 140),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ];

    /// <summary>The colour of <paramref name="t"/> in [0, 1] (clamped; NaN maps to 0).</summary>
    public static (byte R, byte G, byte B) At(double t)
    {
        double position = (double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1)) * (Anchors.Length - 1);
        int low = Math.Min((int)position, Anchors.Length - 2);
        double weight = position - low;
        var (a, b) = (Anchors[low], Anchors[low + 1]);
        return (Mix(a.R, b.R, weight), Mix(a.G, b.G, weight), Mix(a.B, b.B, weight));
    }

    private static byte Mix(byte from, byte to, double weight) => (byte)Math.Round(from + (to - from) * weight);
}
