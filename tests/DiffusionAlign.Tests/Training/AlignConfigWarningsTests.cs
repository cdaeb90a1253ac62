using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Tests.Training;

/// <summary>Valid settings that are likely mistakes are flagged, each once; the published recipes are not.</summary>
public sealed class AlignConfigWarningsTests
{
    private static List<string> Lines(AlignConfig config, params string[] given) =>
        AlignConfigWarnings.Check(config, given.Length > 0 ? given : null).Select(w => w.ToString()).ToList();

    [Theory]
    [InlineData(AlignMethod.Dspo)]
    [InlineData(AlignMethod.Dpo)]
    [InlineData(AlignMethod.Sft)]
    public void EachMethodsDefaultRecipeIsQuiet(AlignMethod method)
    {
        var config = AlignConfig.DefaultsFor(method);
        Assert.Empty(AlignConfigWarnings.Check(config));
        Assert.Empty(AlignConfigWarnings.CheckData(config, 640));
    }

    [Fact]
    public void ThePublishedRecipesAreQuiet()
    {
        // docs/coming-from-python.md: Diffusion-DPO and DSPO on SD1.5, DSPO's SDXL branch; scaled as the papers.
        var dpo = AlignConfig.DefaultsFor(AlignMethod.Dpo) with
        {
            Beta = 5000, BatchSize = 1, GradAccum = 2048, LearningRate = 1e-8, Steps = 2000, WarmupSteps = 500,
        };
        var dspo = AlignConfig.DefaultsFor(AlignMethod.Dspo) with
        {
            BatchSize = 16, GradAccum = 128, LearningRate = 1e-8, Steps = 2000, WarmupSteps = 500,
        };
        var sdxl = dspo with { DspoVariant = DspoVariant.Sdxl, Beta = 5000, WarmupSteps = 200 };
        foreach (var c in new[] { dpo, dspo, sdxl }.Select(c => c.WithScaledLearningRate()))
            Assert.Empty(AlignConfigWarnings.Check(c));
    }

    [Fact]
    public void FewerStepsThanWarmup()
    {
        var config = new AlignConfig { Steps = 5, WarmupSteps = 20 };
        Assert.Equal(["Steps 5 is fewer than WarmupSteps 20: the run ends during warm-up, at 25% of the peak "
            + "learning rate"], Lines(config));
        Assert.Empty(Lines(config with { Steps = 20 }));
        Assert.Single(Lines(config with { LrScheduler = LearningRateScheduler.Cosine }));
    }

    [Fact]
    public void WarningsNameSettingsThroughTheFrontEnd()
    {
        var warning = Assert.Single(AlignConfigWarnings.Check(new AlignConfig { Steps = 5, WarmupSteps = 20 }));
        Assert.Equal([nameof(AlignConfig.Steps), nameof(AlignConfig.WarmupSteps)], warning.Settings);
        Assert.StartsWith("--steps 5 is fewer than --warmup 20", warning.Format(s => s switch
        {
            "Steps" => "--steps",
            "WarmupSteps" => "--warmup",
            _ => s,
        }));
    }

    [Fact]
    public void ConstantScheduleWithAWarmup()
    {
        var constant = new AlignConfig { LrScheduler = LearningRateScheduler.Constant };
        Assert.Contains("WarmupSteps 20 is unused: LrScheduler constant has no warm-up",
            Assert.Single(Lines(constant)));
        Assert.Empty(Lines(constant with { WarmupSteps = 0 }));
    }

    [Fact]
    public void SchedulerSettingsTheSchedulerDoesNotRead()
    {
        var config = new AlignConfig { LrNumCycles = 3, LrPower = 2 };
        Assert.Equal(["LrNumCycles is unused by LrScheduler constant_with_warmup (only cosine_with_restarts reads it)",
            "LrPower is unused by LrScheduler constant_with_warmup (only polynomial reads it)"], Lines(config));
        Assert.Single(Lines(config with { LrScheduler = LearningRateScheduler.Polynomial }));
        Assert.Single(Lines(config with { LrScheduler = LearningRateScheduler.CosineWithRestarts }));
        // Chosen on the command line at their default values, they are still unused.
        Assert.Equal(2, Lines(new AlignConfig(), nameof(AlignConfig.LrNumCycles), nameof(AlignConfig.LrPower)).Count);
    }

    [Fact]
    public void SettingsTheMethodDoesNotRead()
    {
        var sft = AlignConfig.DefaultsFor(AlignMethod.Sft);
        Assert.Empty(Lines(sft));
        Assert.StartsWith("Beta is unused by Method sft", Assert.Single(Lines(sft, nameof(AlignConfig.Beta))));
        Assert.StartsWith("Beta is unused by Method sft", Assert.Single(Lines(sft with { Beta = 0.5 })));
        var dpo = AlignConfig.DefaultsFor(AlignMethod.Dpo);
        Assert.Equal(["DspoVariant is unused by Method dpo"], Lines(dpo, nameof(AlignConfig.DspoVariant)));
        Assert.Equal(["DspoMarginBeta is unused by Method dpo"], Lines(dpo with { DspoMarginBeta = 2000 }));
        Assert.Empty(Lines(AlignConfig.DefaultsFor(AlignMethod.Dspo) with { DspoMarginBeta = 2000 }));
    }

    [Theory]
    [InlineData(AlignMethod.Dspo, DspoVariant.ScoreMatching, 1.0, "far above the 0.001 published for DSPO's SD1.5")]
    [InlineData(AlignMethod.Dspo, DspoVariant.ScoreMatching, 2000, "far above the 0.001 published for DSPO's SD1.5")]
    [InlineData(AlignMethod.Dspo, DspoVariant.Sdxl, 0.001, "far below the 5000 published for DSPO's SDXL branch")]
    [InlineData(AlignMethod.Dspo, DspoVariant.Sdxl, 99, "far below the 5000 published for DSPO's SDXL branch")]
    [InlineData(AlignMethod.Dspo, DspoVariant.Sdxl, 1e6, "far above the 5000 published for DSPO's SDXL branch")]
    [InlineData(AlignMethod.Dpo, DspoVariant.ScoreMatching, 0.001, "far below Diffusion-DPO's published 2000–5000")]
    [InlineData(AlignMethod.Dpo, DspoVariant.ScoreMatching, 1e5, "far above Diffusion-DPO's published 2000–5000")]
    public void BetaFarFromWhereTheMethodWasPublished(AlignMethod method, DspoVariant variant, double beta,
        string expected)
    {
        var config = AlignConfig.DefaultsFor(method) with { DspoVariant = variant, Beta = beta };
        Assert.Contains(expected, Assert.Single(Lines(config)));
    }

    [Theory]
    [InlineData(AlignMethod.Dspo, DspoVariant.ScoreMatching, 0.05)]
    [InlineData(AlignMethod.Dspo, DspoVariant.ScoreMatching, 0.5)]
    [InlineData(AlignMethod.Dspo, DspoVariant.Sdxl, 100)]
    [InlineData(AlignMethod.Dspo, DspoVariant.Sdxl, 5000)]
    [InlineData(AlignMethod.Dpo, DspoVariant.ScoreMatching, 100)]
    [InlineData(AlignMethod.Dpo, DspoVariant.ScoreMatching, 50_000)]
    public void BetaWithinReachOfThePublishedIsQuiet(AlignMethod method, DspoVariant variant, double beta) =>
        Assert.Empty(Lines(AlignConfig.DefaultsFor(method) with { DspoVariant = variant, Beta = beta }));

    [Fact]
    public void LearningRatesFarAboveThePapers()
    {
        Assert.Contains("LearningRate 0.0001 is high for full fine-tuning",
            Assert.Single(Lines(new AlignConfig { LearningRate = 1e-4 })));
        Assert.Empty(Lines(new AlignConfig { LearningRate = 1e-4, Lora = new() { Rank = 4 } }));
        // A per-step rate given to --scale-lr: one warning, about the scaling.
        var scaled = new AlignConfig { LearningRate = 2e-5, BatchSize = 8 }.WithScaledLearningRate();
        Assert.StartsWith("LearningRatePerPair 2e-05 is taken per pair: × 8 pairs it makes a peak of 0.00016",
            Assert.Single(Lines(scaled)));
    }

    [Fact]
    public void AStepLargerThanTheData()
    {
        var config = new AlignConfig { BatchSize = 4, GradAccum = 3 };
        Assert.Equal("BatchSize × GradAccum = 12 pairs per step is more than the 10 pairs of the data: every step "
            + "uses some pairs twice", Assert.Single(AlignConfigWarnings.CheckData(config, 10)).ToString());
        Assert.Single(AlignConfigWarnings.CheckData(config, 11));
        Assert.Empty(AlignConfigWarnings.CheckData(config, 12));
    }
}
