namespace DiffusionAlign.Evaluation;

/// <summary>
/// The alignment gap (Chen et al., NeurIPS 2024): idealized minus observed ranking accuracy on the same held-out
/// pairs, how far a model is from what the exact optimum of its objective would rank right. Each pair scores
/// 1 / ½ / 0 under both rankings (a margin of exactly 0 is a tie), the gap is the mean of the per-pair
/// differences, and its 95% interval is a percentile bootstrap over pairs: resampling a pair keeps both of its
/// scores, so the interval accounts for the two accuracies being measured on the same pairs.
/// </summary>
public static class AlignmentGap
{
    /// <summary>How the interval was computed, as results.json records it.</summary>
    public static string Describe(int resamples) =>
        $"percentile bootstrap over held-out pairs (paired), {resamples} resamples";

    /// <summary>The gap with its interval.</summary>
    /// <param name="idealizedMargins">Per pair, the optimum's winner-minus-loser margin
    /// (<see cref="IdealizedRankingAccuracy.Margins"/>).</param>
    /// <param name="observedMargins">Per pair, the model's winner-minus-loser score (as for
    /// <see cref="RankingAccuracy"/>), same order.</param>
    /// <param name="resamples">Bootstrap resamples (at least 2).</param>
    /// <param name="seed">Seed of the resampling.</param>
    /// <exception cref="DiffusionAlignException">No pairs.</exception>
    public static AlignmentGapResult Compute(IReadOnlyList<double> idealizedMargins,
        IReadOnlyList<double> observedMargins, int resamples = ClusteredBootstrap.DefaultResamples, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(idealizedMargins);
        ArgumentNullException.ThrowIfNull(observedMargins);
        if (idealizedMargins.Count != observedMargins.Count)
            throw new ArgumentException(
                $"{idealizedMargins.Count} idealized margins but {observedMargins.Count} observed; they must pair up");
        var ideal = PairedOutcomes.Tally(idealizedMargins, 0, "an alignment gap");
        var observed = PairedOutcomes.Tally(observedMargins, 0, "an alignment gap");
        var differences = ideal.Scores.Zip(observed.Scores, (i, o) => i - o).ToArray();
        var (low, high) = PercentileBootstrap.MeanInterval95(differences, resamples, seed);
        return new AlignmentGapResult(ideal.Rate - observed.Rate, low, high, differences.Length, Describe(resamples));
    }
}
