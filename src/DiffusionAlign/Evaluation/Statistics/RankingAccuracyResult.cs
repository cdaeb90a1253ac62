namespace DiffusionAlign.Evaluation;

/// <summary>
/// Fraction of preference pairs ranked right, with a Wilson 95% interval.
/// <see cref="Accuracy"/> = (Correct + Ties/2) / N.
/// </summary>
public sealed record RankingAccuracyResult(
    double Accuracy, double CiLow, double CiHigh, int N, int Correct, int Ties, int Wrong)
{
    internal static RankingAccuracyResult From(PairedOutcomes outcomes)
    {
        var (low, high) = WilsonScoreInterval.Compute(outcomes.Score, outcomes.N);
        return new RankingAccuracyResult(
            outcomes.Rate, low, high, outcomes.N, outcomes.Wins, outcomes.Ties, outcomes.Losses);
    }
}
