using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Tests.Training;

/// <summary>
/// Each schedule against diffusers' formulas (optimization.py), written out again here at 0-based step k, with
/// warm-up peak·(k+1)/W; the default align schedule and pretraining's cosine are the ones runs used before.
/// </summary>
public sealed class LearningRateScheduleTests
{
    private const double Peak = 1e-3;

    private static double Lr(LearningRateScheduler kind, int warmup, int total, int step, int cycles = 1,
        double power = 1.0) => LearningRateSchedule.For(kind, Peak, warmup, total, cycles, power).At(step);

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(99)]
    public void ConstantHasNoWarmup(int step) =>
        Assert.Equal(Peak, Lr(LearningRateScheduler.Constant, warmup: 10, total: 100, step));

    [Theory]
    [InlineData(0, 0.1)]  // first step already learns: 1/10 of the peak
    [InlineData(4, 0.5)]
    [InlineData(9, 1.0)]  // last warm-up step reaches the peak
    [InlineData(10, 1.0)]
    [InlineData(99, 1.0)]
    public void ConstantWithWarmupRampsThenHolds(int step, double fraction) =>
        Assert.Equal(Peak * fraction, Lr(LearningRateScheduler.ConstantWithWarmup, 10, 100, step), 15);

    [Theory]
    [InlineData(LearningRateScheduler.Linear)]
    [InlineData(LearningRateScheduler.Cosine)]
    [InlineData(LearningRateScheduler.CosineWithRestarts)]
    [InlineData(LearningRateScheduler.Polynomial)]
    public void EveryWarmupIsTheSameRamp(LearningRateScheduler kind)
    {
        for (int k = 0; k < 10; k++) Assert.Equal(Peak * (k + 1) / 10, Lr(kind, 10, 110, k), 15);
        // diffusers' lambda at the first step after warm-up is 1 for every decay.
        Assert.Equal(Peak, Lr(kind, 10, 110, 10), 15);
    }

    [Theory]
    [InlineData(60, 0.5)]          // (110 − 60) / (110 − 10)
    [InlineData(35, 0.75)]
    [InlineData(109, 0.01)]        // the last step still learns
    [InlineData(110, 0.0)]
    public void LinearFallsToZeroAtTheStepCount(int step, double fraction) =>
        Assert.Equal(Peak * fraction, Lr(LearningRateScheduler.Linear, 10, 110, step), 15);

    [Theory]
    [InlineData(60)]
    [InlineData(35)]
    [InlineData(109)]
    public void CosineIsAHalfCosineToZero(int step)
    {
        double progress = (step - 10) / 100.0;
        Assert.Equal(Peak * 0.5 * (1 + Math.Cos(Math.PI * progress)), Lr(LearningRateScheduler.Cosine, 10, 110, step),
            15);
        Assert.Equal(Peak / 2, Lr(LearningRateScheduler.Cosine, 10, 110, 60), 15);
    }

    [Theory]
    [InlineData(0, 1.0)]    // start of cycle 1
    [InlineData(25, 0.5)]   // middle of cycle 1
    [InlineData(50, 1.0)]   // hard restart: cycle 2 starts at the peak again
    [InlineData(75, 0.5)]
    [InlineData(100, 0.0)]  // progress 1: diffusers returns 0
    public void CosineWithRestartsRestartsEachCycle(int step, double fraction) =>
        Assert.Equal(Peak * fraction, Lr(LearningRateScheduler.CosineWithRestarts, 0, 100, step, cycles: 2), 15);

    [Fact]
    public void CosineWithRestartsJustBeforeARestartIsNearZero()
    {
        double expected = 0.5 * (1 + Math.Cos(Math.PI * (3 * 0.32 % 1.0))); // step 32 of 100, three cycles
        Assert.Equal(Peak * expected, Lr(LearningRateScheduler.CosineWithRestarts, 0, 100, 32, cycles: 3), 15);
        Assert.True(expected < 0.01);
        Assert.Equal(Peak, Lr(LearningRateScheduler.CosineWithRestarts, 0, 100, 40, cycles: 5), 15); // 5 × 0.4 = 2
    }

    [Theory]
    [InlineData(1.0, 50)]
    [InlineData(2.0, 50)]
    [InlineData(2.0, 99)]
    [InlineData(0.5, 20)]
    public void PolynomialDecaysToItsEndRate(double power, int step)
    {
        const double end = 1e-7;
        double remaining = 1 - step / 100.0;
        Assert.Equal((Peak - end) * Math.Pow(remaining, power) + end,
            Lr(LearningRateScheduler.Polynomial, 0, 100, step, power: power), 15);
        Assert.Equal(end, Lr(LearningRateScheduler.Polynomial, 0, 100, 100, power: power), 15);
        Assert.Equal(end, Lr(LearningRateScheduler.Polynomial, 0, 100, 101, power: power), 15);
    }

    [Theory]
    [InlineData(AlignMethod.Dspo)]
    [InlineData(AlignMethod.Dpo)]
    [InlineData(AlignMethod.Sft)]
    public void TheDefaultAlignScheduleIsTheOneRunsUsedBefore(AlignMethod method)
    {
        var config = AlignConfig.DefaultsFor(method);
        Assert.Equal(LearningRateScheduler.ConstantWithWarmup, config.LrScheduler);
        var schedule = config.Schedule();
        for (int k = 0; k < config.Steps; k++)
        {
            // The trainer's schedule before schedulers could be chosen, verbatim.
            double before = k < config.WarmupSteps ? config.LearningRate * (k + 1) / config.WarmupSteps
                : config.LearningRate;
            Assert.Equal(before, schedule.At(k));
        }
        Assert.False(schedule.DependsOnTotalSteps);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(199)]
    [InlineData(200)]
    [InlineData(2600)]
    [InlineData(4999)]
    public void PretrainingCosineIsUnchanged(int step)
    {
        var config = new PretrainConfig();
        var schedule = new LearningRateSchedule(config.LearningRate, config.WarmupSteps, config.Steps, config.Decay);
        double expected;
        if (step < config.WarmupSteps) expected = config.LearningRate * (step + 1) / config.WarmupSteps;
        else
        {
            double progress = Math.Clamp((double)(step - config.WarmupSteps) / (config.Steps - config.WarmupSteps - 1),
                0, 1);
            expected = config.LearningRate * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
        }
        Assert.Equal(expected, schedule.At(step), 15);
        Assert.Equal(0.1 * config.LearningRate, schedule.At(config.Steps - 1), 15);
    }

    [Fact]
    public void SchedulerWordsAreDiffusers()
    {
        Assert.Equal(["constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial"],
            LearningRateSchedulerWords.All);
        foreach (string word in LearningRateSchedulerWords.All)
            Assert.Equal(word, LearningRateSchedulerWords.ToWord(LearningRateSchedulerWords.Parse(word)));
        Assert.Throws<DiffusionAlignException>(() => LearningRateSchedulerWords.Parse("cosine_annealing"));
    }
}
