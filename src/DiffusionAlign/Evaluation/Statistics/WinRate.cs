namespace DiffusionAlign.Evaluation;

/// <summary>
/// Reward win rate of model A over model B (docs/method.md, "Evaluation"): for each held-out prompt and seed
/// both models generate from the same initial noise; A wins if its reward is higher, a tie counts ½.
/// Win rate is the evaluation that respects both preferences and their prevalence (Zhang &amp; Ranganath).
/// </summary>
/// <remarks>
/// Ties enter as half a win: each comparison scores 1, ½ or 0 and the rate is their mean. The Wilson
/// interval is computed on that fractional count, <c>(Wins + Ties/2)</c> successes out of N, which treats
/// each tie as half a success and half a failure; since a tie is less variable than a coin flip, the interval is
/// slightly conservative when ties are frequent. The bootstrap resamples the 1/½/0 scores directly.
/// </remarks>
public static class WinRate
{
    /// <summary>Win rate with a Wilson score 95% interval.</summary>
    /// <param name="rewardsA">Reward of model A's image per (prompt, seed).</param>
    /// <param name="rewardsB">Reward of model B's image for the same (prompt, seed), same order.</param>
    /// <param name="tieTolerance">Differences with
    /// <c>|rA − rB| ≤ tieTolerance</c> are ties (0: only exact equality).</param>
    /// <exception cref="DiffusionAlignException">No comparisons.</exception>
    public static WinRateResult Compute(IReadOnlyList<double> rewardsA, IReadOnlyList<double> rewardsB,
        double tieTolerance = 0)
    {
        var outcomes = Tally(rewardsA, rewardsB, tieTolerance);
        var (low, high) = WilsonScoreInterval.Compute(outcomes.Score, outcomes.N);
        return new WinRateResult(outcomes.Rate, low, high, outcomes.N, outcomes.Wins, outcomes.Ties, outcomes.Losses);
    }

    /// <summary>
    /// Win rate with a percentile-bootstrap 95% interval over the (prompt, seed) comparisons, reproducible per seed.
    /// </summary>
    /// <param name="rewardsA">Reward of model A's image per (prompt, seed).</param>
    /// <param name="rewardsB">Reward of model B's image for the same (prompt, seed), same order.</param>
    /// <param name="resamples">Number of bootstrap resamples (2000 is customary).</param>
    /// <param name="seed">Seed of the resampling.</param>
    /// <param name="tieTolerance">Differences with <c>|rA − rB| ≤ tieTolerance</c> are ties.</param>
    /// <exception cref="DiffusionAlignException">No comparisons.</exception>
    public static WinRateResult Bootstrap(IReadOnlyList<double> rewardsA, IReadOnlyList<double> rewardsB, int resamples,
        int seed, double tieTolerance = 0)
    {
        var outcomes = Tally(rewardsA, rewardsB, tieTolerance);
        var (low, high) = PercentileBootstrap.MeanInterval95(outcomes.Scores, resamples, seed);
        return new WinRateResult(outcomes.Rate, low, high, outcomes.N, outcomes.Wins, outcomes.Ties, outcomes.Losses);
    }

    private static PairedOutcomes Tally(
        IReadOnlyList<double> rewardsA, IReadOnlyList<double> rewardsB, double tieTolerance) =>
        PairedOutcomes.Tally(
            PairedOutcomes.Differences(rewardsA, rewardsB, nameof(rewardsA), nameof(rewardsB)),
            tieTolerance, "a win rate");
}
