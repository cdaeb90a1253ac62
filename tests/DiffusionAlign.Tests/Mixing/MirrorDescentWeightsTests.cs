// Mirror ascent on constructed objectives: weight moves to the policy that raises the worst reward, and settles
// where the two rewards balance.
using DiffusionAlign.Mixing;

namespace DiffusionAlign.Tests.Mixing;

public sealed class MirrorDescentWeightsTests
{
    // A slope of 0.6 is steep for rewards in [0, 1]: η = 2 keeps the first steps from jumping past the balance.
    private static readonly MirrorDescentConfig Config = new(Iterations: 30, StepSize: 2, ProbeSize: 0.25);

    /// <summary>
    /// Policy A raises reward 0 (alignment, the worse one at equal weights) and lowers reward 1 a little; the worst
    /// reward is highest where 0.2 + 0.6·w_A = 0.8 − 0.1·w_A, at w_A = 6/7.
    /// </summary>
    private static double[] Linear(MixtureWeights w, int iteration) => [0.2 + 0.6 * w[0], 0.8 - 0.1 * w[0]];

    [Fact]
    public void WeightMovesToThePolicyThatRaisesTheWorstReward()
    {
        var result = MirrorDescentWeights.Maximise(MixtureWeights.Uniform(2), Linear, Config);
        var first = result.Steps[0];
        // At equal weights reward 0 is the worst, and only moving toward A raises it.
        Assert.True(first.Rewards[0] < first.Rewards[1]);
        Assert.True(first.Gradient[0] > 0 && first.Gradient[1] < 0, string.Join(", ", first.Gradient));
        Assert.True(first.Next[0] > 0.5);
        // The iterates circle the balance and their average lands near it.
        Assert.InRange(result.Weights[0], 6.0 / 7 - 0.03, 6.0 / 7 + 0.03);
        Assert.InRange(result.Last[0], 6.0 / 7 - 0.06, 6.0 / 7 + 0.06);
    }

    [Fact]
    public void WhenTheOtherRewardIsWorstWeightMovesTheOtherWay()
    {
        // The same world with the roles of the policies swapped: B raises the worst reward.
        var result = MirrorDescentWeights.Maximise(MixtureWeights.Uniform(2),
            (w, t) => Linear(MixtureWeights.Normalised([w[1], w[0]]), t), Config);
        Assert.InRange(result.Weights[1], 6.0 / 7 - 0.03, 6.0 / 7 + 0.03);
    }

    [Fact]
    public void APolicyThatHelpsNeitherRewardLosesItsWeight()
    {
        // Three policies: C adds nothing to either reward, so the worst reward only falls as its weight grows.
        double[] Objective(MixtureWeights w, int t) => [0.2 + 0.6 * w[0], 0.8 - 0.1 * w[0] + 0.3 * w[1]];
        var result = MirrorDescentWeights.Maximise(MixtureWeights.Uniform(3), Objective, Config);
        Assert.True(result.Last[2] < 0.05, string.Join(", ", result.Last.Values));
        Assert.Equal(30, result.Steps.Count);
        Assert.Equal(1, result.Weights.Values.Sum(), 12);
    }

    [Fact]
    public void EachIterationsProbesShareOneBatch()
    {
        var seen = new List<int>();
        MirrorDescentWeights.Maximise(MixtureWeights.Uniform(2), (w, t) =>
        {
            seen.Add(t);
            return Linear(w, t);
        }, Config with { Iterations = 3 });
        // K + 1 = 3 probes per iteration, all told the same iteration.
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2], seen);
    }
}
