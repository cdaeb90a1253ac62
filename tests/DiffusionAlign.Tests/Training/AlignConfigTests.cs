using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Tests.Training;

/// <summary>
/// The diffusers-style settings of a recipe: the optimizer and schedule they build, the scaled learning rate,
/// their ranges, and what a resume compares.
/// </summary>
public sealed class AlignConfigTests
{
    [Fact]
    public void OptimizerSettingsCarryEveryAdamWSetting()
    {
        var config = new AlignConfig
        {
            LearningRate = 3e-5, AdamBeta1 = 0.8, AdamBeta2 = 0.95, AdamEpsilon = 1e-6, WeightDecay = 0.1,
        };
        Assert.Equal(new AdamWSettings(3e-5, 0.8, 0.95, 1e-6, 0.1), config.OptimizerSettings());
        // Unset, they are torch's (and diffusers' scripts') defaults.
        var defaults = new AlignConfig().OptimizerSettings();
        Assert.Equal((0.9, 0.999, 1e-8, 1e-2),
            (defaults.Beta1, defaults.Beta2, defaults.Epsilon, defaults.WeightDecay));
    }

    [Fact]
    public void ScheduleFollowsTheChosenScheduler()
    {
        var config = new AlignConfig
        {
            LrScheduler = LearningRateScheduler.CosineWithRestarts, LrNumCycles = 2, Steps = 120, WarmupSteps = 20,
            LearningRate = 1e-4,
        };
        var schedule = config.Schedule();
        Assert.Equal(LearningRateDecay.CosineWithRestarts, schedule.Decay);
        Assert.Equal(2, schedule.NumCycles);
        Assert.Equal(1e-4, schedule.At(70), 15); // progress 0.5 × 2 cycles: a restart
        var polynomial = config with { LrScheduler = LearningRateScheduler.Polynomial, LrPower = 2 };
        Assert.Equal(2.0, polynomial.Schedule().Power);
    }

    [Fact]
    public void ScaledLearningRateIsPerPairTimesTheEffectiveBatch()
    {
        var config = new AlignConfig { LearningRate = 1e-8, BatchSize = 16, GradAccum = 128 }.WithScaledLearningRate();
        Assert.Equal(1e-8 * 2048, config.LearningRate);
        Assert.Equal(1e-8, config.LearningRatePerPair);
        config.Validate();
        Assert.Equal(config, config.WithScaledLearningRate()); // scaling twice does not scale again
        // The rate must be scaled after the batch is set.
        var e = Assert.Throws<InvalidSettingException>(() => (config with { GradAccum = 64 }).Validate());
        Assert.Equal(nameof(AlignConfig.LearningRate), e.Setting);
    }

    [Theory]
    [InlineData(nameof(AlignConfig.LrNumCycles))]
    [InlineData(nameof(AlignConfig.LrPower))]
    [InlineData(nameof(AlignConfig.GradClipNorm))]
    [InlineData(nameof(AlignConfig.AdamBeta1))]
    [InlineData(nameof(AlignConfig.AdamBeta2))]
    [InlineData(nameof(AlignConfig.AdamEpsilon))]
    [InlineData(nameof(AlignConfig.WeightDecay))]
    [InlineData(nameof(AlignConfig.CheckpointsTotalLimit))]
    [InlineData(nameof(AlignConfig.LearningRate))]
    public void OutOfRangeSettingsAreNamed(string setting)
    {
        var good = new AlignConfig();
        good.Validate();
        var bad = setting switch
        {
            nameof(AlignConfig.LrNumCycles) => good with { LrNumCycles = 0 },
            nameof(AlignConfig.LrPower) => good with { LrPower = 0 },
            nameof(AlignConfig.GradClipNorm) => good with { GradClipNorm = 0 },
            nameof(AlignConfig.AdamBeta1) => good with { AdamBeta1 = 1 },
            nameof(AlignConfig.AdamBeta2) => good with { AdamBeta2 = -0.1 },
            nameof(AlignConfig.AdamEpsilon) => good with { AdamEpsilon = -1e-8 },
            nameof(AlignConfig.WeightDecay) => good with { WeightDecay = -0.01 },
            nameof(AlignConfig.CheckpointsTotalLimit) => good with { CheckpointsTotalLimit = 0 },
            // diffusers' polynomial schedule refuses a peak at or below its end rate 1e-7.
            _ => good with { LrScheduler = LearningRateScheduler.Polynomial, LearningRate = 1e-7 },
        };
        Assert.Equal(setting, Assert.Throws<InvalidSettingException>(bad.Validate).Setting);
        (good with { GradClipNorm = double.PositiveInfinity }).Validate(); // no clipping, as torch allows
    }

    [Fact]
    public void SettingsRoundTripWithTheSchedulerAsDiffusersWord()
    {
        var config = new AlignConfig { LrScheduler = LearningRateScheduler.CosineWithRestarts, LrNumCycles = 3 }
            .WithScaledLearningRate();
        string json = System.Text.Json.JsonSerializer.Serialize(config);
        Assert.Contains("\"LrScheduler\":\"cosine_with_restarts\"", json);
        Assert.Equal(config, System.Text.Json.JsonSerializer.Deserialize<AlignConfig>(json));
        // Settings saved before schedulers could be chosen read as the schedule those runs used.
        var old = System.Text.Json.JsonSerializer.Deserialize<AlignConfig>("{\"Method\":1,\"Beta\":2000}")!;
        Assert.Equal(AlignConfig.DefaultsFor(AlignMethod.Dpo), old);
    }

    [Fact]
    public void ADecayingScheduleCannotBeExtendedOnResume()
    {
        var pairs = PreferenceTrainerTests.RendererPairs(4);
        var config = AlignConfig.DefaultsFor(AlignMethod.Sft) with
        {
            Steps = 2, BatchSize = 2, WarmupSteps = 0, CheckpointEvery = 1, LrScheduler = LearningRateScheduler.Linear,
        };
        using var dir = new TestModels.TempDir();
        string ckpt = Path.Combine(dir.Path, "ckpt"), metrics = Path.Combine(dir.Path, "m.jsonl");
        using (var m = TestModels.Micro())
            PreferenceTrainer.Run(m, pairs, config with { StopAfter = 1 }, ckpt, metrics, false);
        // Step 1's rate depended on the run ending at step 2: more steps would give another run.
        using var longer = TestModels.Micro();
        var e = Assert.Throws<SettingsMismatchException>(() =>
            PreferenceTrainer.Run(longer, pairs, config with { Steps = 4 }, ckpt, metrics, true));
        Assert.Equal([nameof(AlignConfig.Steps)], e.Differences.Select(d => d.Setting));
        using var other = TestModels.Micro();
        e = Assert.Throws<SettingsMismatchException>(() => PreferenceTrainer.Run(other, pairs,
            config with { LrScheduler = LearningRateScheduler.Cosine }, ckpt, metrics, true));
        Assert.Equal([nameof(AlignConfig.LrScheduler)], e.Differences.Select(d => d.Setting));
        using var same = TestModels.Micro();
        Assert.Equal(2, PreferenceTrainer.Run(same, pairs, config, ckpt, metrics, true));
    }
}
