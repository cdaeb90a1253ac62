namespace DiffusionAlign.Evaluation;

/// <summary>
/// Ranking accuracy (Chen et al., NeurIPS 2024): the fraction of held-out preference pairs on which a model's
/// likelihood proxy ranks the winner above the loser. For diffusion models the proxy is the ELBO: a lower
/// denoising error at matched (t, ε) means a higher likelihood, so the caller passes e.g. <c>m_l − m_w</c>
/// (or the implicit reward difference <c>r̂_w − r̂_l</c>) as the winner's score minus the loser's.
/// </summary>
public static class RankingAccuracy
{
    /// <summary>Accuracy with a Wilson 95% interval; a difference of exactly 0 is a tie and counts ½.</summary>
    /// <param name="winnerScoreMinusLoserScore">Per pair, the model's score of the winner minus its score of the loser
    /// (higher = ranks the winner first).</param>
    /// <exception cref="DiffusionAlignException">No pairs.</exception>
    public static RankingAccuracyResult Compute(IReadOnlyList<double> winnerScoreMinusLoserScore)
    {
        ArgumentNullException.ThrowIfNull(winnerScoreMinusLoserScore);
        return RankingAccuracyResult.From(PairedOutcomes.Tally(winnerScoreMinusLoserScore, 0, "a ranking accuracy"));
    }
}
