using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class MeanWithIntervalTests
{
    [Fact]
    public void StudentTIntervalMatchesHandComputation()
    {
        // [1..5]: mean 3, s² = 10/4 = 2.5, SE = sqrt(2.5/5) = 0.707107, t(0.975, 4) = 2.776445 → 3 ± 1.963243.
        var result = MeanWithInterval.Compute([1, 2, 3, 4, 5]);
        Assert.Equal(3, result.Mean, 12);
        Assert.Equal(0.7071068, result.StandardError, 6);
        Assert.Equal(1.036757, result.CiLow, 5);
        Assert.Equal(4.963243, result.CiHigh, 5);
        Assert.Equal(5, result.N);
    }

    [Fact]
    public void NormalIntervalUsesOnePointNineSix()
    {
        // 3 ± 1.959964 · 0.707107 = 3 ± 1.385904.
        var result = MeanWithInterval.Compute([1, 2, 3, 4, 5], IntervalMethod.Normal);
        Assert.Equal(3 - 1.385904, result.CiLow, 5);
        Assert.Equal(3 + 1.385904, result.CiHigh, 5);
    }

    [Fact]
    public void SingleValueHasNoInterval()
    {
        var result = MeanWithInterval.Compute([4.2]);
        Assert.Equal(4.2, result.Mean);
        Assert.True(double.IsNaN(result.StandardError) && double.IsNaN(result.CiLow) && double.IsNaN(result.CiHigh));
    }

    [Fact]
    public void EmptyOrNonFiniteInputIsRejected()
    {
        Assert.Throws<DiffusionAlignException>(() => MeanWithInterval.Compute([]));
        Assert.Throws<ArgumentException>(() => MeanWithInterval.Compute([1, double.PositiveInfinity]));
    }
}
