using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Training;

public sealed class PreferenceTrainerTests
{
    /// <summary>Clean-vs-flawed renderer pairs at the micro model's 16×16.</summary>
    public static PreferenceDataset RendererPairs(int count, int seed = 3) =>
        new(ShapesPairGenerator.CleanVersusFlawed(new ShapesWorld(), count, 16, seed));

    private static Dictionary<string, float[]> Weights(DiffusionAlign.Pipelines.TextToImageModel model) =>
        model.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().data<float>().ToArray());

    [Theory]
    [InlineData(AlignMethod.Dspo)]
    [InlineData(AlignMethod.Dpo)]
    public void ResumeAfterInterruptionEndsWithTheSameWeights(AlignMethod method)
    {
        var pairs = RendererPairs(12);
        var config = AlignConfig.DefaultsFor(method) with { Steps = 4, BatchSize = 2, GradAccum = 2, WarmupSteps = 1,
            CheckpointEvery = 1, Seed = 5, LearningRate = 1e-3 };
        using var dirA = new TestModels.TempDir();
        using var dirB = new TestModels.TempDir();

        // Copies of one model, not three Micro(seed: 1) calls: seeding goes through LibTorch's global
        // generator, which tests running in parallel also draw from.
        using var start = TestModels.Micro(seed: 1);
        using var straight = start.Copy();
        PreferenceTrainer.Run(straight, pairs, config, Path.Combine(dirA.Path, "ckpt"),
            Path.Combine(dirA.Path, "metrics.jsonl"), resume: false);

        using (var interrupted = start.Copy())
        {
            int done = PreferenceTrainer.Run(interrupted, pairs, config with { StopAfter = 2 },
                Path.Combine(dirB.Path, "ckpt"), Path.Combine(dirB.Path, "metrics.jsonl"), resume: false);
            Assert.Equal(2, done);
        }
        // A new process would start from the original base weights and the checkpoint only.
        using var resumed = start.Copy();
        int finished = PreferenceTrainer.Run(resumed, pairs, config, Path.Combine(dirB.Path, "ckpt"),
            Path.Combine(dirB.Path, "metrics.jsonl"), resume: true);
        Assert.Equal(4, finished);

        var a = Weights(straight);
        var b = Weights(resumed);
        var initial = Weights(start);
        Assert.Contains(a.Keys, k => !a[k].SequenceEqual(initial[k])); // training moved the weights
        foreach (var key in a.Keys) Assert.Equal(a[key], b[key]);
        Assert.Equal(File.ReadAllLines(Path.Combine(dirA.Path, "metrics.jsonl")).Length,
            File.ReadAllLines(Path.Combine(dirB.Path, "metrics.jsonl")).Length);
    }

    [Fact]
    public void ResumeWithDifferentSettingsIsRefused()
    {
        var pairs = RendererPairs(8);
        var config = AlignConfig.DefaultsFor(AlignMethod.Dpo) with { Steps = 3, BatchSize = 2, CheckpointEvery = 1 };
        using var dir = new TestModels.TempDir();
        using (var m = TestModels.Micro())
            PreferenceTrainer.Run(m, pairs, config with { StopAfter = 1 }, Path.Combine(dir.Path, "ckpt"),
                Path.Combine(dir.Path, "m.jsonl"), false);
        using var again = TestModels.Micro();
        var e = Assert.Throws<SettingsMismatchException>(() =>
            PreferenceTrainer.Run(again, pairs, config with { Beta = 7 }, Path.Combine(dir.Path, "ckpt"),
                Path.Combine(dir.Path, "m.jsonl"), true));
        // Only the setting that changed is named; more steps are allowed (a run may be extended).
        Assert.Equal(["Beta"], e.Differences.Select(d => d.Setting));
        using var longer = TestModels.Micro();
        Assert.Equal(5, PreferenceTrainer.Run(longer, pairs, config with { Steps = 5 }, Path.Combine(dir.Path, "ckpt"),
            Path.Combine(dir.Path, "m.jsonl"), true));
    }

    [Fact]
    public void DpoTrainingRaisesImplicitAccuracyOnTrainingPairs()
    {
        // Clean-vs-flawed renders are easy to tell apart: a few DPO steps must push u > 0 on most pairs.
        var pairs = RendererPairs(16);
        var config = AlignConfig.DefaultsFor(AlignMethod.Dpo) with { Steps = 30, BatchSize = 8, WarmupSteps = 0,
            LearningRate = 2e-3, Beta = 500, CheckpointEvery = 0 };
        using var dir = new TestModels.TempDir();
        using var model = TestModels.Micro(seed: 2);
        PreferenceTrainer.Run(model, pairs, config, Path.Combine(dir.Path, "ckpt"),
            Path.Combine(dir.Path, "m.jsonl"), false);
        var last = File.ReadAllLines(Path.Combine(dir.Path, "m.jsonl")).TakeLast(5)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("implicit_acc").GetDouble())
            .Average();
        Assert.True(last > 0.6, $"implicit accuracy over the last 5 steps was {last:F2}");
    }
}

public sealed class ObjectiveSelectionTests
{
    [Fact]
    public void EachMethodGetsItsObjectiveAndDspoVariantIsHonoured()
    {
        Assert.Equal("diffusion-dpo", AlignConfig.DefaultsFor(AlignMethod.Dpo).CreateObjective().Name);
        Assert.Equal("dspo", AlignConfig.DefaultsFor(AlignMethod.Dspo).CreateObjective().Name);
        var sdxl = AlignConfig.DefaultsFor(AlignMethod.Dspo) with { DspoVariant = DspoVariant.Sdxl };
        Assert.Equal("dspo-sdxl", sdxl.CreateObjective().Name);
        Assert.False(AlignConfig.DefaultsFor(AlignMethod.Sft).CreateObjective().NeedsReference);
    }

    [Fact]
    public void DspoMarginBetaReachesTheLossAndDefaultsToBeta()
    {
        var dspo = AlignConfig.DefaultsFor(AlignMethod.Dspo);
        Assert.Equal(dspo.Beta, ((DspoLoss)dspo.CreateObjective()).MarginBeta);
        var separate = (DspoLoss)(dspo with { DspoMarginBeta = 2000 }).CreateObjective();
        Assert.Equal(2000, separate.MarginBeta);
        Assert.Equal(dspo.Beta, separate.Beta);
        Assert.Throws<InvalidSettingException>(() => (dspo with { DspoMarginBeta = -1 }).Validate());
    }

    [Fact]
    public void EachDefaultHasOneHome()
    {
        Assert.Equal(new AlignConfig(), AlignConfig.DefaultsFor(AlignMethod.Dspo));
        Assert.Equal(DspoLoss.DefaultBeta, new AlignConfig().Beta);
        Assert.Equal(DiffusionDpoLoss.DefaultBeta, AlignConfig.DefaultsFor(AlignMethod.Dpo).Beta);
        // The evaluation's implicit reward is Diffusion-DPO's, on DPO's β.
        Assert.Equal(DiffusionDpoLoss.DefaultBeta, new DiffusionAlign.Evaluation.EvaluationConfig().Beta);
    }

    [Fact]
    public void DemoRecipesKeepEachMethodsOwnBeta()
    {
        var demo = DiffusionAlign.Experiments.DemoConfig.Default;
        Assert.Equal(0.001, demo.Dspo.Beta);
        Assert.Equal(2000, demo.Dpo.Beta);
        Assert.Equal(new[] { "sft", "dpo", "dspo", "dspo-sdxl" }, demo.Methods().Select(m => m.Name).ToArray());
    }
}
