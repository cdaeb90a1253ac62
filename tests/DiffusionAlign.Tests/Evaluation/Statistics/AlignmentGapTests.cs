using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class AlignmentGapTests
{
    [Fact]
    public void GapIsIdealizedMinusObservedAccuracyWithAnIntervalAroundIt()
    {
        // Idealized ranks 9 of 10 right, observed 6 of 10 with one exact tie: 0.9 − 0.55 = 0.35.
        double[] ideal = [1, 1, 1, 1, 1, 1, 1, 1, 1, -1];
        double[] observed = [1, 1, 1, 1, 1, 0, -1, -1, -1, -1];

        var gap = AlignmentGap.Compute(ideal, observed, resamples: 2000, seed: 4);

        Assert.Equal(0.35, gap.Value, 12);
        Assert.Equal(10, gap.N);
        Assert.True(gap.CiLow < gap.Value && gap.Value < gap.CiHigh);
        Assert.InRange(gap.CiLow, 0, 0.35);
        Assert.Contains("2000 resamples", gap.CiMethod);
        Assert.Equal(gap, AlignmentGap.Compute(ideal, observed, resamples: 2000, seed: 4));
    }

    [Fact]
    public void TheSameRankingHasAZeroGapWithNoSpread()
    {
        double[] margins = [0.3, -0.1, 2, 0];
        var gap = AlignmentGap.Compute(margins, margins, resamples: 100, seed: 0);
        Assert.Equal((0.0, 0.0, 0.0), (gap.Value, gap.CiLow, gap.CiHigh));
    }

    [Fact]
    public void UnpairedOrEmptyMarginsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => AlignmentGap.Compute([1, 2], [1], 100));
        Assert.Throws<DiffusionAlignException>(() => AlignmentGap.Compute([], [], 100));
    }
}
