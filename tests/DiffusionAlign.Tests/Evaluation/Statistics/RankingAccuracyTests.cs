using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class RankingAccuracyTests
{
    [Fact]
    public void CountsTheWinnerAheadWithTiesAsHalf()
    {
        // 5 positive, 1 zero, 2 negative → (5 + ½)/8 = 0.6875; Wilson on 5.5 of 8 = [0.35576, 0.89759].
        var result = RankingAccuracy.Compute([0.3, -0.1, 0, 2, 5, -1, 0.2, 0.4]);
        Assert.Equal((5, 1, 2, 8), (result.Correct, result.Ties, result.Wrong, result.N));
        Assert.Equal(0.6875, result.Accuracy, 12);
        Assert.Equal(0.35576, result.CiLow, 5);
        Assert.Equal(0.89759, result.CiHigh, 5);
    }

    [Fact]
    public void NoPairsIsAClearError()
    {
        Assert.Throws<DiffusionAlignException>(() => RankingAccuracy.Compute([]));
    }
}
