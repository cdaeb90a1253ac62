using System.Globalization;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// The smallest score difference an evaluation treats as a preference: a high quantile of
/// <c>|s(x) − s(x′)|</c> over every evaluated sample x of every model, where x′ is x after
/// <see cref="DitheredRequantisation"/>, floored at <see cref="Floor"/>. Two samples whose scores differ by no
/// more than that are a tie: the score moves that much under a change nobody can see, so a smaller difference
/// is the score's own noise, not one image being better.
/// </summary>
/// <param name="Value">The resolution: <c>max(RawQuantile, Floor)</c>.</param>
/// <param name="Quantile">Which quantile of the differences (0.99 by default).</param>
/// <param name="RawQuantile">That quantile before the floor.</param>
/// <param name="Floor">The least resolution, for scores that do not move at all (float rounding remains).</param>
/// <param name="N">Samples measured.</param>
public sealed record ScoreResolution(double Value, double Quantile, double RawQuantile, double Floor, int N)
{
    /// <summary>The 99th percentile: a difference the requantisation alone exceeds in 1 sample of 100.</summary>
    public const double DefaultQuantile = 0.99;

    /// <summary>Below this a difference is float noise whatever the measurement says.</summary>
    public const double DefaultFloor = 1e-6;

    /// <summary>How the resolution was chosen, as results.json records it (ASCII: the file escapes the rest).</summary>
    public string Method => string.Format(CultureInfo.InvariantCulture,
        "{0:0.##}th percentile of |s(x) - s(q(x))| over {1} samples of all models, q = requantisation to 8 bits "
        + "with a seeded uniform dither of half an LSB either way (raw {2:G4}), floored at {3:G3}",
        Quantile * 100, N, RawQuantile, Floor);

    /// <summary>The resolution from the per-sample <c>|s(x) − s(x′)|</c>.</summary>
    /// <exception cref="DiffusionAlignException">No differences.</exception>
    /// <exception cref="ArgumentException">A difference that is negative or not finite.</exception>
    public static ScoreResolution FromDifferences(IEnumerable<double> absoluteDifferences,
        double quantile = DefaultQuantile, double floor = DefaultFloor)
    {
        ArgumentNullException.ThrowIfNull(absoluteDifferences);
        if (!(quantile > 0 && quantile < 1))
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "the quantile must lie in (0, 1)");
        if (!(floor >= 0) || double.IsInfinity(floor))
            throw new ArgumentOutOfRangeException(nameof(floor), floor, "the floor must be non-negative and finite");
        var sorted = absoluteDifferences.ToArray();
        if (sorted.Length == 0) throw new DiffusionAlignException("a score resolution needs at least one sample");
        foreach (double d in sorted)
            if (!(d >= 0) || double.IsInfinity(d))
                throw new ArgumentException($"|s(x) − s(x′)| must be non-negative and finite, got {d}",
                    nameof(absoluteDifferences));
        Array.Sort(sorted);
        double raw = PercentileBootstrap.Quantile(sorted, quantile);
        return new ScoreResolution(Math.Max(raw, floor), quantile, raw, floor, sorted.Length);
    }
}
