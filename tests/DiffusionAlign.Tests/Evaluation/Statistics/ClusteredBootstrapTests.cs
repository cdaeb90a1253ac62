using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class ClusteredBootstrapTests
{
    /// <summary>Prompts × seeds values: a prompt effect (sd <paramref name="between"/>) plus noise.</summary>
    private static double[][] Clustered(int prompts, int seeds, double between, double within, int seed)
    {
        var random = new Random(seed);
        double Normal() =>
            Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return [.. Enumerable.Range(0, prompts).Select(_ =>
        {
            double effect = between * Normal();
            return Enumerable.Range(0, seeds).Select(_ => effect + within * Normal()).ToArray();
        })];
    }

    private static double NaiveWidth(double[][] clusters)
    {
        var naive = MeanWithInterval.Compute([.. clusters.SelectMany(c => c)]);
        return naive.CiHigh - naive.CiLow;
    }

    [Fact]
    public void StrongWithinPromptCorrelationGivesAFarWiderIntervalThanTheNaiveOne()
    {
        // 20 prompts × 25 noises, prompt effect sd 1, noise sd 0.2: the 500 samples say about as much about a new
        // prompt set as 20 independent ones, so the honest interval is about √(500 / 20 / 1.04) ≈ 5 times wider.
        var clusters = Clustered(20, 25, between: 1, within: 0.2, seed: 3);

        var clustered = ClusteredBootstrap.MeanInterval95(clusters, 2000, seed: 1);

        double ratio = (clustered.CiHigh - clustered.CiLow) / NaiveWidth(clusters);
        Assert.InRange(ratio, 3, 7);
        Assert.Equal(clusters.SelectMany(c => c).Average(), clustered.Estimate, 12);
        Assert.Equal((20, 500, 2000), (clustered.Clusters, clustered.N, clustered.Resamples));
    }

    [Fact]
    public void IndependentDataGivesRoughlyTheNaiveIntervalErringWide()
    {
        // No prompt effect: the two stages count the noise spread twice, so the interval is √(1 + (S − 1)/S)
        // ≈ 1.38 times the naive one for S = 10, and never narrower than it.
        var clusters = Clustered(30, 10, between: 0, within: 1, seed: 5);

        var clustered = ClusteredBootstrap.MeanInterval95(clusters, 2000, seed: 2);

        double ratio = (clustered.CiHigh - clustered.CiLow) / NaiveWidth(clusters);
        Assert.InRange(ratio, 1.15, 1.6);
        Assert.True(clustered.CiLow < clustered.Estimate && clustered.Estimate < clustered.CiHigh);
    }

    [Fact]
    public void TheSameSeedGivesTheSameIntervalAndAnotherSeedAnother()
    {
        var clusters = Clustered(8, 5, between: 0.5, within: 0.5, seed: 7);

        var first = ClusteredBootstrap.MeanInterval95(clusters, 500, seed: 11);
        var again = ClusteredBootstrap.MeanInterval95(clusters, 500, seed: 11);
        var other = ClusteredBootstrap.MeanInterval95(clusters, 500, seed: 12);

        Assert.Equal(first, again);
        Assert.NotEqual(first.CiLow, other.CiLow);
        Assert.Equal(first.Estimate, other.Estimate);
    }

    [Fact]
    public void OnePromptIsAClearErrorNotADegenerateInterval()
    {
        var e = Assert.Throws<DiffusionAlignException>(() =>
            ClusteredBootstrap.MeanInterval95([[0.1, 0.2, 0.3]], 100, seed: 0));
        Assert.Contains("at least two prompts", e.Message);
    }

    [Fact]
    public void EmptyClustersNonFiniteValuesAndTooFewResamplesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ClusteredBootstrap.MeanInterval95([[1.0], []], 100));
        Assert.Throws<ArgumentException>(() => ClusteredBootstrap.MeanInterval95([[1.0], [double.NaN]], 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusteredBootstrap.MeanInterval95([[1.0], [2.0]], 1));
    }

    [Fact]
    public void ConstantScoresHaveNoSpreadAndUnequalClustersAreAllowed()
    {
        var ties = ClusteredBootstrap.MeanInterval95([[0.5, 0.5], [0.5], [0.5, 0.5, 0.5]], 200, seed: 3);
        Assert.Equal((0.5, 0.5, 0.5), (ties.Estimate, ties.CiLow, ties.CiHigh));
        Assert.Equal(6, ties.N);
        Assert.Contains("prompts then noises, 200 resamples, percentile", ties.Method);
    }
}
