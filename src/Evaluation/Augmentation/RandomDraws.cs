using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>
/// Scalar draws from a seeded <see cref="Generator"/>, so every augmentation decision is reproducible from one seed
/// (the Python originals use the process-wide <c>random</c> and <c>numpy</c> generators instead).
/// </summary>
internal static class RandomDraws
{
    /// <summary>U[low, high).</summary>
    public static double Uniform(this Generator generator, double low = 0, double high = 1)
    {
        using var draw = rand([1], ScalarType.Float64, generator: generator);
        return low + (high - low) * draw.item<double>();
    }

    /// <summary>An integer in [low, high), high exclusive like numpy's and torch's randint.</summary>
    public static int Integer(this Generator generator, int low, int high)
    {
        using var draw = randint(low, high, [1], generator: generator);
        return (int)draw.item<long>();
    }

    public static double Normal(this Generator generator, double mean = 0, double std = 1)
    {
        using var draw = randn([1], ScalarType.Float64, generator: generator);
        return mean + std * draw.item<double>();
    }

    /// <summary>Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).</summary>
    public static double Beta(this Generator generator, double a, double b)
    {
        double x = generator.Gamma(a);
        return x / (x + generator.Gamma(b));
    }

    /// <summary>
    /// Gamma(shape, 1) by Marsaglia and Tsang's squeeze-free method; a shape below 1 uses
    /// Gamma(shape) = Gamma(shape + 1)·U^(1/shape).
    /// </summary>
    public static double Gamma(this Generator generator, double shape)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape);
        if (shape < 1)
        {
            return generator.Gamma(shape + 1) * Math.Pow(generator.Uniform(), 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = generator.Normal();
            double v = 1 + c * x;
            if (v <= 0)
            {
                continue;
            }
            v = v * v * v;
            if (Math.Log(generator.Uniform()) < 0.5 * x * x + d - d * v + d * Math.Log(v))
            {
                return d * v;
            }
        }
    }
}
