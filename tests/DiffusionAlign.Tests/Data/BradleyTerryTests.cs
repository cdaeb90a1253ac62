using DiffusionAlign.Data;

namespace DiffusionAlign.Tests.Data;

public sealed class BradleyTerryTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void ProbabilityIsLogisticOfScaledDifference()
    {
        Assert.Equal(0.7310585786, BradleyTerry.Probability(1, 0, 1), 9);
        Assert.Equal(0.7310585786, BradleyTerry.Probability(3, 1, 2), 9);
        Assert.Equal(0.2689414214, BradleyTerry.Probability(0, 1, 1), 9);
        Assert.Equal(0.5, BradleyTerry.Probability(2, 2, 0.1), 12);
        Assert.Equal(1.0, BradleyTerry.Probability(1000, 0, 1), 12); // no overflow
        Assert.Equal(0.0, BradleyTerry.Probability(0, 1000, 1), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => BradleyTerry.Probability(1, 0, 0));
    }

    [Fact]
    public void LabelsFollowTheProbability()
    {
        var rng = new Random(12345);
        const int draws = 20000;
        int aPreferred = 0;
        for (int i = 0; i < draws; i++)
            if (BradleyTerry.Label(1, 0, 1, rng)) aPreferred++;
        // Binomial standard error at p = 0.731, n = 20000 is 0.0031; allow about 4 of them.
        Assert.InRange(aPreferred / (double)draws, 0.7310586 - 0.0125, 0.7310586 + 0.0125);
    }

    [Fact]
    public void TemperatureForOneDifferenceMatchesClosedForm()
    {
        // σ(d/τ) = 0.8 ⇔ τ = d / ln(0.8/0.2) = d / ln 4.
        double tau = BradleyTerry.TemperatureForAgreement([2.0], 0.8);
        Assert.Equal(2.0 / Math.Log(4), tau, 6);
    }

    [Fact]
    public void TemperatureHitsTheTargetAgreement()
    {
        double[] diffs = [0.3, -1.2, 2.5, 0.0, -0.05, 4.0, 0.7];
        foreach (double target in new[] { 0.6, 0.8, 0.9 })
        {
            double tau = BradleyTerry.TemperatureForAgreement(diffs, target);
            double agreement = diffs.Average(d => Sigmoid(Math.Abs(d) / tau));
            Assert.Equal(target, agreement, 3);
        }
    }

    [Fact]
    public void UnreachableTargetIsAUserError()
    {
        // All differences zero: agreement is ½ at every temperature.
        Assert.Throws<DiffusionAlignException>(() => BradleyTerry.TemperatureForAgreement([0.0, 0.0], 0.8));
        // Half zero: agreement stays below 0.75.
        Assert.Throws<DiffusionAlignException>(() => BradleyTerry.TemperatureForAgreement([0.0, 1.0], 0.8));
        Assert.Throws<DiffusionAlignException>(() => BradleyTerry.TemperatureForAgreement([1.0], 0.4));
    }
}
