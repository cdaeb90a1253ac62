using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

/// <summary>
/// Reference values from (p̂ + z²/2n ± z·sqrt(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n), z = 1.959964,
/// evaluated by hand/calculator.
/// </summary>
public sealed class WilsonScoreIntervalTests
{
    [Theory]
    [InlineData(8, 10, 0.49016, 0.94332)]
    [InlineData(50, 100, 0.40383, 0.59617)]
    [InlineData(0, 5, 0.0, 0.43448)]
    [InlineData(5, 5, 0.56552, 1.0)]
    public void MatchesPublishedFormula(double successes, int n, double low, double high)
    {
        var (actualLow, actualHigh) = WilsonScoreInterval.Compute(successes, n);
        Assert.Equal(low, actualLow, 5);
        Assert.Equal(high, actualHigh, 5);
    }

    [Fact]
    public void RejectsImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonScoreInterval.Compute(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonScoreInterval.Compute(11, 10));
    }
}
