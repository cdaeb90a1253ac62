namespace DiffusionAlign.Evaluation.Statistics;

/// <summary>
/// Pearson's and Spearman's correlation coefficients; null where undefined (fewer than 3 points, or a constant).
/// </summary>
public static class Correlation
{
    public static double? Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        if (x.Count < 3) return null;
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        // A constant (up to rounding) has no correlation with anything.
        if (sxx <= 1e-24 * x.Count || syy <= 1e-24 * y.Count) return null;
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Pearson's coefficient of the ranks, ties given their average rank.</summary>
    public static double? Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>1-based ranks, tied values sharing the mean of the ranks they span.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    private static void Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} x values but {y.Count} y values");
        if (x.Concat(y).Any(v => !double.IsFinite(v))) throw new ArgumentException("values must be finite");
    }
}
