using DiffusionAlign.Evaluation.Statistics;
using DiffusionAlign.Experiments.Study;

namespace DiffusionAlign.Tests.Experiments.Study;

public sealed class CorrelationTests
{
    [Fact]
    public void PearsonIsOneOnALineAndMinusOneOnAFallingLine()
    {
        double[] x = [1, 2, 3, 4, 5];
        Assert.Equal(1.0, Correlation.Pearson(x, [.. x.Select(v => 3 * v + 1)])!.Value, 12);
        Assert.Equal(-1.0, Correlation.Pearson(x, [.. x.Select(v => -2 * v)])!.Value, 12);
    }

    [Fact]
    public void PearsonMatchesAHandComputedValue()
    {
        // x̄ = 2, ȳ = 3; dx = (−1, 0, 1), dy = (−2, 2, 0): Σdxdy = 2, Σdx² = 2, Σdy² = 8 → r = 2/4.
        Assert.Equal(0.5, Correlation.Pearson([1, 2, 3], [1, 5, 3])!.Value, 12);
    }

    [Fact]
    public void SpearmanIsOneForAnyIncreasingRelationAndUsesAverageRanksForTies()
    {
        double[] x = [1, 2, 3, 4, 5];
        Assert.Equal(1.0, Correlation.Spearman(x, [.. x.Select(v => Math.Exp(v))])!.Value, 12);
        Assert.Equal([1.5, 1.5, 3, 4.5, 4.5], Correlation.Ranks([7, 7, 8, 9, 9]));
        Assert.True(Correlation.Spearman([1, 2, 3, 4], [1, 1, 2, 2]) is > 0.8 and < 1);
    }

    [Fact]
    public void UndefinedCorrelationsAreNullNotNaN()
    {
        Assert.Null(Correlation.Pearson([1, 2], [3, 4]));
        Assert.Null(Correlation.Pearson([1, 2, 3], [5, 5, 5]));
        Assert.Null(Correlation.Spearman([0.6, 0.6, 0.6], [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => Correlation.Pearson([1, 2, 3], [1, 2]));
        Assert.Throws<ArgumentException>(() => Correlation.Pearson([1, double.NaN, 3], [1, 2, 3]));
    }

    [Fact]
    public void TheAnalysisCorrelatesEachAccuracyOverAllCheckpointsAndTheClosestThird()
    {
        var point = new GridPoint(StudyFamily.Dpo, 2000);
        // Win rate rises with the ranking accuracy; distance grows with the step.
        var runs = Enumerable.Range(1, 9).Select(k => StudyFakes.Run(StudyRegime.OnPolicy,
            point with { Beta = 1000 * k },
            (10, StudyFakes.Metrics(0.4 + 0.02 * k, distance: k * 1e-3, ranking: 0.5 + 0.01 * k))));
        var points = CorrelationAnalysis.Points(runs);
        var rows = CorrelationAnalysis.Compute(points);

        Assert.Equal(9, points.Count);
        Assert.Equal(2 * CorrelationAnalysis.Metrics.Count * 2, rows.Count);
        var all = rows.Single(r => r.Metric == "ranking accuracy (own pairs)" && r.Against == "validation win rate"
            && r.Subset == CorrelationAnalysis.All);
        Assert.Equal(9, all.N);
        Assert.Equal(1.0, all.Pearson!.Value, 9);
        Assert.Equal(1.0, all.Spearman!.Value, 9);
        var closest = rows.Single(r => r.Metric == "ranking accuracy (own pairs)"
            && r.Against == "distance from the reference" && r.Subset == CorrelationAnalysis.Closest);
        Assert.Equal(3, closest.N);
        Assert.Equal(1.0, closest.Spearman!.Value, 9);
        // The implicit accuracy is constant here: no correlation to report.
        Assert.Null(rows.First(r => r.Metric == "implicit-reward accuracy (own pairs)").Pearson);
    }
}
