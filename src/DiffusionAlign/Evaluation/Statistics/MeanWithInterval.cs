namespace DiffusionAlign.Evaluation;

/// <summary>
/// A sample mean (e.g. a model's mean reward over held-out prompts and seeds) with its standard error
/// <c>s/√n</c> (s with the n − 1 denominator) and a two-sided 95% interval.
/// For n = 1 the mean is reported and the standard error and interval are NaN (not estimable).
/// </summary>
public sealed record MeanWithInterval(double Mean, double StandardError, double CiLow, double CiHigh, int N)
{
    /// <summary>Mean, standard error and 95% interval of <paramref name="values"/>.</summary>
    /// <exception cref="DiffusionAlignException">No values.</exception>
    public static MeanWithInterval Compute(
        IReadOnlyList<double> values, IntervalMethod method = IntervalMethod.StudentT)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, "unknown interval method");
        int n = values.Count;
        if (n == 0) throw new DiffusionAlignException("a mean needs at least one value; got none");
        for (int i = 0; i < n; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"value {i} is not a finite number ({values[i]})", nameof(values));

        double mean = values.Sum() / n;
        if (n == 1) return new MeanWithInterval(mean, double.NaN, double.NaN, double.NaN, 1);
        // Two passes: summing squared deviations from the mean keeps digits that Σx² − n·mean² would cancel.
        double squares = values.Sum(v => (v - mean) * (v - mean));
        double standardError = Math.Sqrt(squares / (n - 1) / n);
        double quantile = method == IntervalMethod.StudentT ? StudentT.Quantile(0.975, n - 1) : WilsonScoreInterval.Z95;
        return new MeanWithInterval(
            mean, standardError, mean - quantile * standardError, mean + quantile * standardError, n);
    }
}
