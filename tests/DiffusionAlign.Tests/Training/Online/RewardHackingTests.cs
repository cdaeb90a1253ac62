using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Tests.Training.Online;

public sealed class RewardHackingTests
{
    /// <summary>Four monitor images before a round; <see cref="After"/> moves each by the given amounts.</summary>
    private static readonly MonitorScores Before = new([0.0, 1.0, -1.0, 0.5], [0.50, 0.40, 0.60, 0.30]);

    private static MonitorScores After(double[] learned, double[] truth) =>
        new(Before.Learned.Select((v, i) => v + learned[i]).ToArray(),
            Before.True.Select((v, i) => v + truth[i]).ToArray());

    private static bool Fires(double[] learned, double[] truth, double tolerance = 0.01) =>
        RewardHacking.Fires(MonitorChange.Between(Before, After(learned, truth)), tolerance);

    [Fact]
    public void FiresOnlyOnAConsistentLearnedRiseWithAConsistentTrueFallPastTheTolerance()
    {
        double[] up = [0.9, 1.1, 1.0, 1.2];
        Assert.True(Fires(up, [-0.02, -0.03, -0.025, -0.02])); // every image: learned up, true down by ~0.02
        Assert.False(Fires(up, [0.02, 0.03, 0.01, 0.02])); // both rise: learning
        Assert.False(Fires(up, [-0.004, -0.006, -0.005, -0.005])); // a consistent fall within the tolerance
        Assert.False(Fires([-0.9, -1.1, -1.0, -1.2], [-0.02, -0.03, -0.025, -0.02])); // both fall: worse, not hacking
        Assert.False(Fires([0, 0, 0, 0], [-0.02, -0.03, -0.025, -0.02])); // a flat learned reward is not a rise
        // The same mean fall (−0.02) carried by one image: its interval reaches above 0, so it is not evidence.
        Assert.False(Fires(up, [-0.14, 0.04, 0.02, 0.0]));
        // A learned rise on average that one image carries (interval reaches below 0) does not fire either.
        Assert.False(Fires([4.0, -0.5, -0.5, -0.6], [-0.02, -0.03, -0.025, -0.02]));
    }

    [Fact]
    public void TheChangeIsPerImageWithAStudentTInterval()
    {
        var change = MonitorChange.Between(Before, After([1, 1, 1, 1], [-0.01, -0.03, -0.02, -0.02]));
        Assert.Equal(1.0, change.Learned.Mean, 12);
        Assert.Equal(0.0, change.Learned.StandardError, 12); // every image moved alike: no noise left
        Assert.Equal(-0.02, change.True.Mean, 12);
        // sd of (−0.01, −0.03, −0.02, −0.02) is √(0.0002/3); t(0.975, 3) = 3.182446
        double half = 3.182446 * Math.Sqrt(0.0002 / 3) / 2;
        Assert.Equal(-0.02 - half, change.True.CiLow, 5);
        Assert.Equal(-0.02 + half, change.True.CiHigh, 5);
        Assert.Throws<ArgumentException>(() => MonitorChange.Between(Before, new MonitorScores([0.0], [0.5])));
    }

    [Fact]
    public void OneImageNeverFiresAndANegativeToleranceIsRefused()
    {
        var one = new MonitorScores([0.0], [0.5]);
        Assert.False(RewardHacking.Fires(MonitorChange.Between(one, new MonitorScores([5.0], [0.1])), 0.01));
        var change = MonitorChange.Between(Before, After([1, 1, 1, 1], [-0.1, -0.1, -0.1, -0.1]));
        Assert.True(RewardHacking.Fires(change, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RewardHacking.Fires(change, -0.1));
    }
}
