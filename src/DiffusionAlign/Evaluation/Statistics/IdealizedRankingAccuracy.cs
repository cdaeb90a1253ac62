namespace DiffusionAlign.Evaluation;

/// <summary>
/// Idealized ranking accuracy (Chen et al., NeurIPS 2024): the ranking accuracy a model would have if it reached
/// the exact DPO/RLHF optimum <c>π*(y|x) ∝ π_ref(y|x)·exp(r(x,y)/β)</c>. Under it the winner outranks the loser
/// iff <c>log π_ref(y_w)/π_ref(y_l) + (r(y_w) − r(y_l))/β &gt; 0</c>. With a known ground-truth reward this is
/// exact per pair, and <c>idealized − observed</c> is the paper's alignment gap.
/// </summary>
public static class IdealizedRankingAccuracy
{
    /// <summary>
    /// Idealized accuracy with a Wilson 95% interval over pairs; a sum of exactly 0 is a tie and counts ½.
    /// </summary>
    /// <param name="referenceLogRatio">Per pair <c>log π_ref(y_w) − log π_ref(y_l)</c>, on the log-likelihood scale
    /// that β refers to (for diffusion, the reference's ELBO proxy difference).</param>
    /// <param name="rewardDifference">Per pair <c>r(y_w) − r(y_l)</c> under the ground-truth reward.</param>
    /// <param name="beta">The objective's β (&gt; 0).</param>
    /// <exception cref="DiffusionAlignException">No pairs.</exception>
    public static RankingAccuracyResult Compute(IReadOnlyList<double> referenceLogRatio,
        IReadOnlyList<double> rewardDifference, double beta) =>
        RankingAccuracyResult.From(PairedOutcomes.Tally(
            Margins(referenceLogRatio, rewardDifference, beta), 0, "an idealized ranking accuracy"));

    /// <summary>
    /// Per pair, the optimum's winner-minus-loser log-likelihood <c>log π_ref(y_w)/π_ref(y_l) + Δr/β</c>, whose
    /// sign is the idealized ranking (for per-pair comparisons such as the alignment gap).
    /// </summary>
    public static IReadOnlyList<double> Margins(IReadOnlyList<double> referenceLogRatio,
        IReadOnlyList<double> rewardDifference, double beta)
    {
        if (!(beta > 0) || double.IsInfinity(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be positive and finite");
        ArgumentNullException.ThrowIfNull(referenceLogRatio);
        ArgumentNullException.ThrowIfNull(rewardDifference);
        if (referenceLogRatio.Count != rewardDifference.Count)
            throw new ArgumentException(
                $"{referenceLogRatio.Count} reference log-ratios but {rewardDifference.Count} reward differences; "
                + "they must pair up");
        return [.. referenceLogRatio.Select((logRatio, i) => logRatio + rewardDifference[i] / beta)];
    }
}
