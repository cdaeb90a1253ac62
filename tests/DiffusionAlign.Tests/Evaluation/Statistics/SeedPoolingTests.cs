using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation.Statistics;

public sealed class SeedPoolingTests
{
    [Fact]
    public void SpreadIsTheMeanSampleSdAndRangeOverSeeds()
    {
        var spread = SeedPooling.Spread([0.5, 0.7, 0.6]);
        Assert.Equal(0.6, spread.Mean, 12);
        Assert.Equal(0.1, spread.Sd!.Value, 12);
        Assert.Equal((0.5, 0.7, 3), (spread.Min, spread.Max, spread.Seeds));
        Assert.Null(SeedPooling.Spread([0.4]).Sd);
    }

    [Fact]
    public void ClustersArePromptsHoldingEverySeedsNoisesForThatPrompt()
    {
        // Two seeds, 3 prompts × 2 noises, prompt-major.
        double[] seed0 = [1, 2, 3, 4, 5, 6];
        double[] seed1 = [10, 20, 30, 40, 50, 60];
        var clusters = SeedPooling.Clusters([seed0, seed1], noisesPerPrompt: 2);
        Assert.Equal(3, clusters.Count);
        Assert.Equal([1, 2, 10, 20], clusters[0]);
        Assert.Equal([5, 6, 50, 60], clusters[2]);
        Assert.Throws<ArgumentException>(() => SeedPooling.Clusters([seed0, [1, 2]], 2));
    }

    [Fact]
    public void PooledWinRateCountsEverySeedsComparisonsAndItsClusteredIntervalHoldsTheRate()
    {
        // Seed 0: A wins on prompt 0 (both noises), ties prompt 1, loses prompt 2 → 3/6.
        // Seed 1: A wins everywhere but one tie → 5.5/6.
        double[] b = [0, 0, 0, 0, 0, 0];
        double[] a0 = [1, 1, 0, 0, -1, -1];
        double[] a1 = [1, 1, 1, 1, 1, 0];
        var pooled = SeedPooling.WinRate([(a0, b), (a1, b)], noisesPerPrompt: 2, resolution: 0.5, resamples: 500,
            bootstrapSeed: 1);

        Assert.Equal((12, 7, 3, 2), (pooled.N, pooled.Wins, pooled.Ties, pooled.Losses));
        Assert.Equal((3, 2), (pooled.Prompts, pooled.Seeds));
        Assert.Equal(8.5 / 12, pooled.Rate, 12);
        Assert.InRange(pooled.Rate, pooled.ClusteredCiLow, pooled.ClusteredCiHigh);
        Assert.InRange(pooled.Rate, pooled.CiLow, pooled.CiHigh);
        // Resampling three prompts that disagree this much cannot pin the rate down as tightly as 12 independent
        // comparisons would.
        Assert.True(pooled.ClusteredCiHigh - pooled.ClusteredCiLow > 0.2);
    }

    [Fact]
    public void DifferencesWithinTheResolutionAreTiesAndIdenticalModelsGiveExactlyHalf()
    {
        double[] scores = [0.3, 0.4, 0.5, 0.6];
        double[] nudged = [0.3001, 0.3999, 0.5, 0.6002];
        var pooled = SeedPooling.WinRate([(nudged, scores), (scores, scores)], 2, resolution: 1e-3, 200, 0);
        Assert.Equal((0.5, 8), (pooled.Rate, pooled.Ties));
        Assert.Equal((0.5, 0.5), (pooled.ClusteredCiLow, pooled.ClusteredCiHigh));
    }

    [Theory]
    [InlineData(0.55, 0.70, "better")]
    [InlineData(0.30, 0.45, "worse")]
    [InlineData(0.45, 0.60, "no clear difference")]
    [InlineData(0.50, 0.60, "no clear difference")]
    public void VerdictsSayWhatTheIntervalSaysAgainstAHalf(double low, double high, string expected) =>
        Assert.Equal(expected, SeedPooling.Verdict(low, high, "better", "worse"));
}
