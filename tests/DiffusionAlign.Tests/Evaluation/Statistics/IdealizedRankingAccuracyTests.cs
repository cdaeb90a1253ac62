using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class IdealizedRankingAccuracyTests
{
    [Fact]
    public void WinnerOutranksIffReferenceLogRatioPlusRewardGapOverBetaIsPositive()
    {
        // β = 2. Per pair log π_ref(w)/π_ref(l) + Δr/β:
        // −1 + 1/2 = −0.5 (wrong), −1 + 3/2 = 0.5 (right), 0.5 − 2/2 = −0.5 (wrong), 0 + 0 = 0 (tie),
        // −0.25 + 0.5/2 = 0 (tie).
        // Accuracy = (1 + ½ + ½)/5 = 0.4; Wilson on 2 of 5 = [0.11762, 0.76928].
        var result = IdealizedRankingAccuracy.Compute([-1, -1, 0.5, 0, -0.25], [1, 3, -2, 0, 0.5], beta: 2);
        Assert.Equal((1, 2, 2), (result.Correct, result.Ties, result.Wrong));
        Assert.Equal(0.4, result.Accuracy, 12);
        Assert.Equal(0.11762, result.CiLow, 5);
        Assert.Equal(0.76928, result.CiHigh, 5);
    }

    [Fact]
    public void SmallBetaLetsTheRewardOverrideTheReference()
    {
        // With β → small the reward term dominates: every pair with Δr > 0 is ranked right whatever the
        // reference says.
        var result = IdealizedRankingAccuracy.Compute([-5, -5, -5], [1, 1, 1], beta: 0.01);
        Assert.Equal(1, result.Accuracy);
        var large = IdealizedRankingAccuracy.Compute([-5, -5, -5], [1, 1, 1], beta: 100);
        Assert.Equal(0, large.Accuracy);
    }

    [Fact]
    public void RejectsBadInput()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IdealizedRankingAccuracy.Compute([1], [1], beta: 0));
        Assert.Throws<ArgumentException>(() => IdealizedRankingAccuracy.Compute([1, 2], [1], beta: 1));
        Assert.Throws<DiffusionAlignException>(() => IdealizedRankingAccuracy.Compute([], [], beta: 1));
    }
}
