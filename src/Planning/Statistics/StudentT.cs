namespace SemanticMIM.Planning.Statistics;

/// <summary>
/// Student's t distribution for any positive degrees of freedom, computed rather than looked up, so that intervals over
/// any number of seeds use the exact quantile: the CDF through the regularized incomplete beta function, the quantile by
/// bisection on it (to the precision of a double).
/// </summary>
public static class StudentT
{
    /// <summary>P(T ≤ <paramref name="t"/>) for <paramref name="degreesOfFreedom"/> ν &gt; 0.</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(degreesOfFreedom);
        double tail = 0.5 * SpecialFunctions.RegularizedIncompleteBeta(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The t with P(T ≤ t) = <paramref name="probability"/>, e.g. 2.776 for (0.975, 4).</summary>
    public static double Quantile(double probability, double degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(degreesOfFreedom);
        if (!(probability > 0 && probability < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "must lie in (0, 1)");
        }
        if (probability < 0.5)
        {
            return -Quantile(1 - probability, degreesOfFreedom);
        }
        double low = 0, high = 1;
        while (Cdf(high, degreesOfFreedom) < probability)
        {
            low = high;
            high *= 2;
        }
        // Halving until the bracket stops shrinking: the last bit of a double.
        while (true)
        {
            double middle = low + (high - low) / 2;
            if (middle <= low || middle >= high)
            {
                return middle;
            }
            if (Cdf(middle, degreesOfFreedom) < probability)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }
    }
}
