namespace DiffusionAlign.Evaluation;

/// <summary>
/// The Wilson score interval for a proportion: unlike the normal ("Wald") interval it stays inside
/// [0, 1] and keeps near-nominal coverage for small n and proportions near 0 or 1, which is where
/// win rates and ranking accuracies of small evaluation sets live.
/// </summary>
public static class WilsonScoreInterval
{
    /// <summary>Standard-normal 97.5% quantile, for two-sided 95% intervals.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Two-sided interval for <c>p̂ = successes / n</c>:
    /// <c>(p̂ + z²/2n ± z·sqrt(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)</c>.
    /// </summary>
    /// <param name="successes">Number of successes; may be fractional (a tie counted as ½).</param>
    /// <param name="n">Number of trials (&gt; 0).</param>
    /// <param name="z">Normal quantile of the confidence level (1.96 for 95%).</param>
    public static (double Low, double High) Compute(double successes, int n, double z = Z95)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "a proportion needs at least one trial");
        if (!(successes >= 0 && successes <= n))
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must lie in [0, {n}]");
        if (!(z > 0) || double.IsInfinity(z))
            throw new ArgumentOutOfRangeException(nameof(z), z, "z must be positive and finite");
        double p = successes / n;
        double z2 = z * z;
        double denominator = 1 + z2 / n;
        double center = (p + z2 / (2.0 * n)) / denominator;
        double half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        // Clamp only the last-ulp rounding at p̂ = 0 or 1, where the exact bounds are 0 and 1.
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
