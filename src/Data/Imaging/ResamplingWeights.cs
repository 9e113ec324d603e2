namespace SemanticMIM.Data.Imaging;

/// <summary>For each output position along one axis: the first contributing input index and the normalised weights.</summary>
internal static class ResamplingWeights
{
    // Keys' cubic convolution with a = -0.75, the coefficient PyTorch and OpenCV use.
    private const double CubicA = -0.75;

    // Lanczos window: sinc(x)·sinc(x/a) for |x| < a, as PIL's Image.LANCZOS.
    private const double LanczosA = 3.0;

    public static (int First, float[] Weights)[] Compute(int inputSize, int outputSize, ResizeFilter filter)
    {
        var scale = (double)inputSize / outputSize;
        var stretch = Math.Max(scale, 1.0);
        var radius = Support(filter) * stretch;
        var result = new (int, float[])[outputSize];
        for (var i = 0; i < outputSize; i++)
        {
            var centre = (i + 0.5) * scale;
            var first = Math.Max(0, (int)Math.Floor(centre - radius));
            var last = Math.Min(inputSize - 1, (int)Math.Ceiling(centre + radius));
            var weights = new double[last - first + 1];
            var total = 0.0;
            for (var j = first; j <= last; j++)
            {
                var distance = (j + 0.5 - centre) / stretch;
                var weight = filter switch
                {
                    ResizeFilter.Bicubic => Cubic(distance),
                    ResizeFilter.Lanczos => Lanczos(distance),
                    _ => Triangle(distance),
                };
                weights[j - first] = weight;
                total += weight;
            }
            result[i] = (first, weights.Select(w => (float)(w / total)).ToArray());
        }
        return result;
    }

    private static double Support(ResizeFilter filter) => filter switch
    {
        ResizeFilter.Bicubic => 2.0,
        ResizeFilter.Lanczos => LanczosA,
        _ => 1.0,
    };

    private static double Triangle(double x) => Math.Max(0.0, 1.0 - Math.Abs(x));

    private static double Cubic(double x)
    {
        x = Math.Abs(x);
        if (x <= 1.0)
            return ((CubicA + 2.0) * x - (CubicA + 3.0)) * x * x + 1.0;
        if (x < 2.0)
            return ((CubicA * x - 5.0 * CubicA) * x + 8.0 * CubicA) * x - 4.0 * CubicA;
        return 0.0;
    }

    private static double Lanczos(double x)
    {
        x = Math.Abs(x);
        return x < LanczosA ? Sinc(x) * Sinc(x / LanczosA) : 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0)
            return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
