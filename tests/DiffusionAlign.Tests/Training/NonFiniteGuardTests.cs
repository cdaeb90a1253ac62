using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Tests.Training;

/// <summary>
/// A step whose loss or gradient is not finite is skipped (not applied), counted in metrics.jsonl, and too many
/// in a row stop the run with its last checkpoint intact. NaN is injected through one pair's image.
/// </summary>
public sealed class NonFiniteGuardTests
{
    /// <summary>Pairs where those at <paramref name="poisoned"/> carry a NaN pixel in the winner.</summary>
    private static PreferenceDataset Pairs(int count, params int[] poisoned)
    {
        var pairs = PreferenceTrainerTests.RendererPairs(count).ToList();
        foreach (int i in poisoned)
        {
            var winner = pairs[i].Winner.Clone();
            winner.Pixels[0] = float.NaN;
            pairs[i] = pairs[i] with { Winner = winner };
        }
        return new PreferenceDataset(pairs);
    }

    private static Dictionary<string, float[]> Weights(DiffusionAlign.Pipelines.TextToImageModel model) =>
        model.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().data<float>().ToArray());

    [Fact]
    public void APoisonedStepIsSkippedAndCounted()
    {
        // Batch 1 over 4 pairs: each step sees one pair; the poisoned one is met once per epoch.
        var pairs = Pairs(4, 2);
        var config = AlignConfig.DefaultsFor(AlignMethod.Dpo) with
        {
            Steps = 4, BatchSize = 1, WarmupSteps = 0, CheckpointEvery = 0, NonFiniteStepLimit = 1,
        };
        using var dir = new TestModels.TempDir();
        using var model = TestModels.Micro();
        string metrics = Path.Combine(dir.Path, "m.jsonl");
        Assert.Equal(4, PreferenceTrainer.Run(model, pairs, config, Path.Combine(dir.Path, "ckpt"), metrics, false));

        var lines = File.ReadAllLines(metrics).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(1, lines.Sum(l => l.GetProperty("skipped_nonfinite_steps").GetInt32()));
        Assert.All(Weights(model).Values, w => Assert.All(w, v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void TooManyInARowStopTheRunWithTheLastCheckpointIntact()
    {
        var clean = Pairs(4);
        var config = AlignConfig.DefaultsFor(AlignMethod.Sft) with
        {
            Steps = 6, BatchSize = 4, WarmupSteps = 0, CheckpointEvery = 1, NonFiniteStepLimit = 2,
        };
        using var dir = new TestModels.TempDir();
        string checkpoint = Path.Combine(dir.Path, "ckpt"), metrics = Path.Combine(dir.Path, "m.jsonl");
        using (var model = TestModels.Micro())
            PreferenceTrainer.Run(model, clean, config with { StopAfter = 2 }, checkpoint, metrics, false);

        // Every pair poisoned from here on: steps 3 and 4 are skipped, the third in a row stops the run.
        using var resumed = TestModels.Micro();
        var error = Assert.Throws<DiffusionAlignException>(() =>
            PreferenceTrainer.Run(resumed, Pairs(4, 0, 1, 2, 3), config, checkpoint, metrics, true));
        Assert.Contains("3 steps in a row", error.Message);
        Assert.True(TrainingCheckpoint.Exists(checkpoint));
        Assert.All(Weights(resumed).Values, w => Assert.All(w, v => Assert.True(float.IsFinite(v))));
        // Skipped steps changed nothing, so their checkpoints (3, 4) hold step 2's finite weights; the failed
        // fifth step wrote none.
        Assert.Equal(["step-000003", "step-000004"],
            Directory.GetDirectories(checkpoint).Select(Path.GetFileName).Order());
    }
}
