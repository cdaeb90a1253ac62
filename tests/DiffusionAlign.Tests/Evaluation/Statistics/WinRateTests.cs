using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class WinRateTests
{
    [Fact]
    public void CountsWinsTiesAndLossesWithTiesAsHalf()
    {
        // 6 wins, 1 exact tie, 3 losses → (6 + ½)/10 = 0.65; Wilson on 6.5 of 10 = [0.35367, 0.86307].
        double[] a = [1, 2, 3, 4, 5, 6, 7, 0, 0, 0];
        double[] b = [0, 0, 0, 0, 0, 0, 7, 1, 2, 3];

        var result = WinRate.Compute(a, b);

        Assert.Equal((6, 1, 3, 10), (result.Wins, result.Ties, result.Losses, result.N));
        Assert.Equal(0.65, result.Rate, 12);
        Assert.Equal(0.35367, result.CiLow, 5);
        Assert.Equal(0.86307, result.CiHigh, 5);
    }

    [Fact]
    public void EightOfTenGivesTheTextbookWilsonInterval()
    {
        double[] a = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        double[] b = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        var result = WinRate.Compute(a, b);
        Assert.Equal(0.8, result.Rate, 12);
        Assert.Equal(0.4902, result.CiLow, 4);
        Assert.Equal(0.9433, result.CiHigh, 4);
    }

    [Fact]
    public void TieToleranceTurnsSmallDifferencesIntoTies()
    {
        double[] a = [1.05, 1.5, 0.97];
        double[] b = [1.0, 1.0, 1.0];
        var exact = WinRate.Compute(a, b);
        var tolerant = WinRate.Compute(a, b, tieTolerance: 0.1);
        Assert.Equal((2, 0, 1), (exact.Wins, exact.Ties, exact.Losses));
        Assert.Equal((1, 2, 0), (tolerant.Wins, tolerant.Ties, tolerant.Losses));
        Assert.Equal(2.0 / 3, tolerant.Rate, 12);
    }

    [Fact]
    public void EmptyMismatchedOrNonFiniteInputIsRejectedClearly()
    {
        var empty = Assert.Throws<DiffusionAlignException>(() => WinRate.Compute([], []));
        Assert.Contains("at least one", empty.Message);
        Assert.Throws<DiffusionAlignException>(() => WinRate.Bootstrap([], [], 100, 1));
        Assert.Throws<ArgumentException>(() => WinRate.Compute([1, 2], [1]));
        Assert.Throws<ArgumentException>(() => WinRate.Compute([double.NaN], [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => WinRate.Compute([1], [0], tieTolerance: -1));
    }

    [Fact]
    public void BootstrapIsReproduciblePerSeed()
    {
        double[] a = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
        double[] b = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0, 4];

        var first = WinRate.Bootstrap(a, b, resamples: 500, seed: 7);
        var again = WinRate.Bootstrap(a, b, resamples: 500, seed: 7);

        Assert.Equal(first, again);
        // 10 wins, 1 tie (9 vs 9), 4 losses → (10 + ½)/15 = 0.7: the point estimate does not depend on resampling.
        Assert.Equal((10, 1, 4), (first.Wins, first.Ties, first.Losses));
        Assert.Equal(0.7, first.Rate, 12);
        Assert.True(first.CiLow <= first.Rate && first.Rate <= first.CiHigh);
    }

    [Fact]
    public void BootstrapAgreesWithWilsonForLargeN()
    {
        // 1200 wins of 2000: Wilson [0.57836, 0.62126]; a 2000-resample percentile bootstrap lands within a few
        // thousandths.
        var a = Enumerable.Range(0, 2000).Select(i => i % 5 < 3 ? 1.0 : 0.0).ToArray();
        var b = new double[2000];
        Array.Fill(b, 0.5);

        var wilson = WinRate.Compute(a, b);
        var bootstrap = WinRate.Bootstrap(a, b, resamples: 2000, seed: 1);

        Assert.Equal(0.57836, wilson.CiLow, 5);
        Assert.Equal(0.62126, wilson.CiHigh, 5);
        Assert.Equal(wilson.CiLow, bootstrap.CiLow, 0.004);
        Assert.Equal(wilson.CiHigh, bootstrap.CiHigh, 0.004);
    }

    [Fact]
    public void BootstrapOfAllTiesHasNoSpread()
    {
        var result = WinRate.Bootstrap([1, 2, 3], [1, 2, 3], resamples: 50, seed: 0);
        Assert.Equal((0.5, 0.5, 0.5), (result.Rate, result.CiLow, result.CiHigh));
    }
}
