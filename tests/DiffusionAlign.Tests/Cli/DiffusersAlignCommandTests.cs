using DiffusionAlign.Data;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using DiffusionAlign.Tests.Reference;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// <c>align</c> and <c>export</c> on the fixture's diffusers pipeline and Pick-a-Pic shard: LoRA and full
/// fine-tuning train and checkpoint, and an exported folder computes what the run computes.
/// </summary>
[Collection("Console")]
public sealed class DiffusersAlignCommandTests
{
    private const string Fixture = DiffusersFixture.Name;

    private static string TinySd => DiffusersFixture.TinySd;

    private static string Shard => DiffusersFixture.Shard;

    [FixtureTheory(Fixture)]
    [InlineData("dspo", "4")]
    [InlineData("dpo", "4")]
    [InlineData("dspo", null)]
    public void AlignsCheckpointsAndExportsWithIdenticalOutputs(string method, string? loraRank)
    {
        using var dir = new TestModels.TempDir();
        string run = Path.Combine(dir.Path, "run");
        var args = new List<string>
        {
            "align", "--method", method, "--model", TinySd, "--pairs", Shard, "--steps", "2", "--batch", "2",
            "--warmup", "0", "--lr", "1e-3", "--checkpoint-every", "1", "--out", run,
        };
        if (loraRank is not null) args.AddRange(["--lora-rank", loraRank]);
        var result = CliRunner.Run([.. args]);
        Assert.True(result.Exit == 0, result.Err);
        Assert.True(TrainingCheckpoint.Exists(Path.Combine(run, "checkpoint")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
        Assert.Equal(loraRank is not null, File.Exists(Path.Combine(run, LoraAdapters.WeightsFileName)));
        Assert.Equal(loraRank is null, DiffusersPipelineFolder.IsPipelineFolder(run));

        using var scope = NewDisposeScope();
        using var trained = TextToImageModel.Load(run);
        using var start = TextToImageModel.Load(TinySd);
        var before = Prediction(start);
        var after = Prediction(trained);
        Assert.False(after.allclose(before, rtol: 1e-6, atol: 1e-7), "training did not change the model");

        foreach (bool merge in loraRank is null ? new[] { false } : new[] { false, true })
        {
            string exported = Path.Combine(dir.Path, merge ? "merged" : "exported");
            var export = merge
                ? CliRunner.Run("export", "--run", run, "--out", exported, "--merge-lora")
                : CliRunner.Run("export", "--run", run, "--out", exported);
            Assert.True(export.Exit == 0, export.Err);
            Assert.True(DiffusersPipelineFolder.IsPipelineFolder(exported));
            Assert.Equal(loraRank is not null && !merge,
                File.Exists(Path.Combine(exported, LoraAdapters.WeightsFileName)));
            using var reloaded = TextToImageModel.Load(exported);
            Assert.Equal(loraRank is not null && !merge, reloaded.HasAdapters);
            var again = Prediction(reloaded);
            // Unmerged weights are copied bit for bit; merging adds B·A into W, a float32 rounding.
            double difference = (again - after).abs().max().item<float>();
            double scale = after.abs().max().item<float>();
            if (merge) Assert.True(difference <= 1e-5 * scale, $"merged export differs by {difference} ({scale})");
            else Assert.True(difference == 0, $"export differs by {difference}");
        }
    }

    [FixtureFact(Fixture)]
    public void ResumingALoraRunContinuesItExactly()
    {
        using var dir = new TestModels.TempDir();
        var (pairs, _) = PreferenceData.Load(Shard, 16);
        var config = AlignConfig.DefaultsFor(AlignMethod.Dpo) with
        {
            Steps = 3, BatchSize = 2, WarmupSteps = 0, LearningRate = 1e-3, Lora = new LoraConfig { Rank = 2 },
            CheckpointEvery = 1,
        };
        // Each invocation loads the starting model afresh, as a restarted process does.
        Tensor Train(string run, params int?[] stops)
        {
            string checkpoint = Path.Combine(run, "checkpoint"), metrics = Path.Combine(run, "metrics.jsonl");
            Tensor? last = null;
            for (int i = 0; i < stops.Length; i++)
            {
                using var policy = TextToImageModel.Load(TinySd);
                PreferenceTrainer.Run(policy, pairs, config with { StopAfter = stops[i] }, checkpoint, metrics,
                    resume: i > 0);
                last = Prediction(policy).MoveToOuterDisposeScope();
            }
            return last!;
        }

        using var scope = NewDisposeScope();
        var whole = Train(Path.Combine(dir.Path, "whole"), [null]);
        // Stopped after one step (a crash stand-in), then resumed twice.
        var split = Train(Path.Combine(dir.Path, "split"), [1, 1, null]);
        Assert.True(whole.eq(split).all().item<bool>());
    }

    [FixtureFact(Fixture)]
    public void Bf16NeedsLoraAndAPixelModelCannotBeExported()
    {
        using var dir = new TestModels.TempDir();
        var bf16 = CliRunner.Run("align", "--method", "dspo", "--model", TinySd, "--pairs", Shard, "--steps", "1",
            "--warmup", "0", "--precision", "bf16", "--out", Path.Combine(dir.Path, "run"));
        CliAssert.OneLineError(bf16, "LoRA");

        using (var model = TestModels.Micro()) model.Save(Path.Combine(dir.Path, "pixel"));
        var export = CliRunner.Run("export", "--run", Path.Combine(dir.Path, "pixel"), "--out",
            Path.Combine(dir.Path, "out"));
        Assert.Equal(2, export.Exit);
        Assert.Contains("pixel", export.Err);
    }

    [FixtureFact(Fixture)]
    public void EvalRanksHeldOutPairsAndPairsRefusesAStableDiffusionModel()
    {
        using var dir = new TestModels.TempDir();
        string results = Path.Combine(dir.Path, "results.json");
        var eval = CliRunner.Run("eval", "--model", $"base={TinySd}", "--model", $"same={TinySd}", "--baseline",
            "base", "--pairs", Shard, "--elbo-draws", "2", "--out", results);
        Assert.True(eval.Exit == 0, eval.Err);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(results));
        var root = json.RootElement;
        Assert.Equal(21, root.GetProperty("held_out_pairs").GetInt32());
        double baseAccuracy = root.GetProperty("ranking_accuracy").GetProperty("base").GetDouble();
        // The same weights rank the same pairs the same way; against itself the implicit reward is 0: all ties.
        Assert.Equal(baseAccuracy, root.GetProperty("ranking_accuracy").GetProperty("same").GetDouble());
        Assert.Equal(0.5, root.GetProperty("implicit_reward_accuracy").GetProperty("same").GetDouble());

        var noPairs = CliRunner.Run("eval", "--model", $"base={TinySd}", "--baseline", "base", "--out", results);
        Assert.Equal(2, noPairs.Exit);
        Assert.Contains("--pairs", noPairs.Err);
        var pairs = CliRunner.Run("pairs", "--from", "model", "--model", TinySd, "--n", "4", "--out", dir.Path + "/p");
        Assert.Equal(2, pairs.Exit);
        Assert.Contains("Pick-a-Pic", pairs.Err);
    }

    [FixtureFact(Fixture)]
    public void APickleCheckpointIsRefusedInOneLineSayingHowToConvert()
    {
        using var dir = new TestModels.TempDir();
        string copy = Path.Combine(dir.Path, "sd");
        foreach (string file in Directory.GetFiles(TinySd, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(TinySd, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string unet = Path.Combine(copy, "unet");
        File.Delete(Path.Combine(unet, "diffusion_pytorch_model.safetensors"));
        File.WriteAllBytes(Path.Combine(unet, "diffusion_pytorch_model.bin"), [0x80, 0x02]);
        var run = CliRunner.Run("sample", "--model", copy, "--prompt", "a cat", "--out",
            Path.Combine(dir.Path, "g.png"));
        Assert.Equal(2, run.Exit);
        Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("pickle", run.Err);
        Assert.Contains("safe_serialization=True", run.Err);
    }

    /// <summary>The UNet's prediction for a fixed noisy latent, timestep and prompt.</summary>
    private static Tensor Prediction(TextToImageModel model)
    {
        using var noGrad = no_grad();
        var generator = new Generator(7);
        var noisy = randn([2, .. model.SampleShape()], generator: generator);
        var text = model.EncodeText(["a photo of a cat", ""]);
        return model.Predict(noisy, tensor(new long[] { 500, 100 }), text);
    }
}
