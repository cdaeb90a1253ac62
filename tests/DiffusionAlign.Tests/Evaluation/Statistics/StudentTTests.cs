using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

/// <summary>Quantiles from standard t tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).</summary>
public sealed class StudentTTests
{
    [Theory]
    [InlineData(1, 12.7062)]
    [InlineData(2, 4.3027)]
    [InlineData(4, 2.7764)]
    [InlineData(5, 2.5706)]
    [InlineData(10, 2.2281)]
    [InlineData(30, 2.0423)]
    [InlineData(100, 1.9840)]
    public void UpperTwoAndAHalfPercentPointsMatchTables(double degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(0.975, degreesOfFreedom), 4);
        Assert.Equal(-expected, StudentT.Quantile(0.025, degreesOfFreedom), 4);
    }

    [Fact]
    public void CdfIsKnownInClosedFormForOneAndTwoDegreesOfFreedom()
    {
        // ν = 1 (Cauchy): F(t) = ½ + atan(t)/π. ν = 2: F(t) = ½ + t / (2·sqrt(2 + t²)).
        foreach (double t in new[] { -3.0, -0.5, 0.0, 0.7, 4.0 })
        {
            Assert.Equal(0.5 + Math.Atan(t) / Math.PI, StudentT.Cdf(t, 1), 10);
            Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), StudentT.Cdf(t, 2), 10);
        }
    }

    [Fact]
    public void LargeDegreesOfFreedomApproachTheNormal()
    {
        Assert.Equal(1.959964, StudentT.Quantile(0.975, 1e6), 4);
    }
}
