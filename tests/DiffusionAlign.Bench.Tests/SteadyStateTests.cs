using DiffusionAlign.Bench;

namespace DiffusionAlign.Bench.Tests;

public sealed class SteadyStateTests
{
    /// <summary>Runs WarmUp against a scripted RSS: the i-th reading after i steps.</summary>
    private static int Run(double?[] rss, int minSteps)
    {
        int steps = 0;
        int ran = SteadyState.WarmUp(() => steps++, minSteps, () => rss[Math.Min(steps, rss.Length - 1)]);
        Assert.Equal(steps, ran);
        return ran;
    }

    [Fact]
    public void StopsAtTheMinimumWhenTheProcessNoLongerGrows() =>
        Assert.Equal(3, Run([100, 150, 150.5, 150.6, 150.6], minSteps: 3));

    [Fact]
    public void GoesOnUntilTwoStepsInARowGrewLessThanOneMiB() =>
        // Growth 50, 10, 0, 12 (a burst), 0, 0.
        Assert.Equal(6, Run([100, 150, 160, 160, 172, 172, 172, 172], minSteps: 3));

    [Fact]
    public void GivesUpAfterTheExtraSteps() =>
        Assert.Equal(3 + SteadyState.MaxExtraSteps,
            Run(Enumerable.Range(0, 100).Select(i => (double?)(100 + 5 * i)).ToArray(), minSteps: 3));

    [Fact]
    public void ExtraStepsStopOnceTheyTookTheTimeBudget()
    {
        int steps = 0;
        // Each extra step takes 60% of the budget and the RSS keeps growing: two extra steps, then stop.
        int ran = SteadyState.WarmUp(() => { steps++; if (steps > 1) Thread.Sleep(60); }, 1,
            () => 100.0 + 10 * steps, maxExtraSeconds: 0.1);
        Assert.Equal(3, ran);
    }

    [Fact]
    public void WithoutAnRssReadingRunsTheMinimum() =>
        Assert.Equal(4, Run([null], minSteps: 4));
}
