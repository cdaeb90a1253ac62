using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Tests.Training.Online;

public sealed class RewardHackingTests
{
    /// <summary>Flags of a sequence of rounds, each judged against the round before it.</summary>
    private static bool[] Flags(IReadOnlyList<RewardMeans> rounds, double tolerance) =>
        rounds.Skip(1).Select((after, i) => RewardHacking.Fires(rounds[i], after, tolerance)).ToArray();

    [Fact]
    public void FiresOnlyWhereTheLearnedRewardRisesAndTheTrueRewardFallsPastTheTolerance()
    {
        RewardMeans[] hacked =
        [
            new(0.0, 0.50),
            new(0.4, 0.53), // both rise: learning
            new(0.9, 0.51), // learned rises, true falls by 0.02 > 0.01: hacking
            new(1.5, 0.505), // true falls by only 0.005: within the tolerance
            new(1.4, 0.45), // true falls but so does the learned reward: not hacking, just worse
            new(2.0, 0.40), // hacking again
        ];
        Assert.Equal([false, true, false, false, true], Flags(hacked, 0.01));

        RewardMeans[] honest = [new(0.0, 0.50), new(0.3, 0.52), new(0.5, 0.55), new(0.6, 0.549), new(0.6, 0.40)];
        // The last round's learned reward did not rise (a flat learned reward is not a rise), so nothing fires.
        Assert.All(Flags(honest, 0.01), Assert.False);
    }

    [Fact]
    public void ToleranceZeroFiresOnAnyFallAndANegativeToleranceIsRefused()
    {
        Assert.True(RewardHacking.Fires(new(0, 0.5), new(1e-9, 0.5 - 1e-9), 0));
        Assert.False(RewardHacking.Fires(new(0, 0.5), new(1e-9, 0.5), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RewardHacking.Fires(new(0, 0), new(1, -1), -0.1));
    }
}
