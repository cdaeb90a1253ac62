namespace DiffusionAlign.Evaluation;

/// <summary>
/// Percentile bootstrap of a mean: resample with replacement, take the 2.5% and 97.5% quantiles of the
/// resampled means. Seeded (<see cref="Random(int)"/>'s seeded generator is stable across .NET versions),
/// so a report is reproducible.
/// </summary>
internal static class PercentileBootstrap
{
    public static (double Low, double High) MeanInterval95(double[] values, int resamples, int seed)
    {
        if (resamples < 2)
            throw new ArgumentOutOfRangeException(
                nameof(resamples), resamples, "the bootstrap needs at least two resamples");
        if (values.Length == 0) throw new ArgumentException("nothing to resample", nameof(values));
        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < values.Length; i++) sum += values[random.Next(values.Length)];
            means[r] = sum / values.Length;
        }
        Array.Sort(means);
        return (Quantile(means, 0.025), Quantile(means, 0.975));
    }

    /// <summary>Linear interpolation between order statistics (Hyndman–Fan type 7, numpy's default).</summary>
    internal static double Quantile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
