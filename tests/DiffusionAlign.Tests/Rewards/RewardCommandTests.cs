// dalign reward train/eval and pairs --labeler, run in-process: outputs, streams and one-line errors.
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Rewards;
using DiffusionAlign.Tests.Cli;

namespace DiffusionAlign.Tests.Rewards;

[Collection("Console")]
public sealed class RewardCommandTests
{
    /// <summary>200 renderer pairs in <c>parent/train</c> and a 10-step reward model trained on them in
    /// <c>parent/model</c>.</summary>
    private static (string Pairs, string Model) TrainSmall(string parent)
    {
        string pairs = Path.Combine(parent, "train"), model = Path.Combine(parent, "model");
        var made = CliRunner.Run("pairs", "--from", "renderer", "--n", "200", "--out", pairs, "--seed", "1");
        Assert.True(made.Exit == 0, made.Err);
        var run = CliRunner.Run("reward", "train", "--pairs", pairs, "--out", model, "--steps", "10", "--batch", "16");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("held-out acc", run.Out);
        Assert.Contains("wrote the reward model", run.Err);
        return (pairs, model);
    }

    [Fact]
    public void TrainWritesAFolderAndEvalReportsBothAccuraciesAsJson()
    {
        using var dir = new TestModels.TempDir();
        var (pairs, model) = TrainSmall(dir.Path);
        foreach (var file in new[] { "model.safetensors", "config.json", RewardTrainingResult.FileName })
            Assert.True(File.Exists(Path.Combine(model, file)), file);

        string outFile = Path.Combine(dir.Path, "eval.json");
        var eval = CliRunner.Run("reward", "eval", "--model", model, "--pairs", pairs, "--out", outFile, "--json");
        Assert.True(eval.Exit == 0, eval.Err);
        using var json = JsonDocument.Parse(eval.Out); // stdout holds the JSON and nothing else
        Assert.Equal(File.ReadAllText(outFile), eval.Out.TrimEnd());
        var root = json.RootElement;
        Assert.Equal(200, root.GetProperty("pairs").GetInt32());
        Assert.Equal(200, root.GetProperty("label_accuracy").GetProperty("n").GetInt32());
        var truth = root.GetProperty("true_order_accuracy");
        Assert.True(truth.GetProperty("ci_low").GetDouble() <= truth.GetProperty("value").GetDouble());
        Assert.Contains("pairs:", eval.Err);

        var table = CliRunner.Run("reward", "eval", "--model", "true", "--pairs", pairs);
        Assert.True(table.Exit == 0, table.Err);
        Assert.Contains("true reward order", table.Out);
        // The true reward ranks every pair by the true order: accuracy 1 there.
        Assert.Matches(@"true reward order\s*│\s*1\.000", table.Out);
    }

    [Fact]
    public void PairsLabelledByALearnedModelFollowItsScores()
    {
        using var dir = new TestModels.TempDir();
        var (_, model) = TrainSmall(dir.Path);
        string labelled = Path.Combine(dir.Path, "labelled");
        // A tiny τ makes every label the labeler's order, so each can be checked against its scores.
        var run = CliRunner.Run("pairs", "--from", "renderer", "--n", "100", "--out", labelled, "--seed", "5",
            "--labeler", model, "--tau", "1e-9");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("labels drawn from reward model model", run.Err);
        using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(labelled, "labels.json")));
        Assert.Equal("model", info.RootElement.GetProperty("labeler").GetString());
        Assert.True(info.RootElement.TryGetProperty("true_reward_agreement", out _));

        using var reward = LearnedRewardModel.Load(model);
        var (pairs, _) = PairsFolder.Read(labelled);
        var prompts = pairs.Select(p => p.Prompt).ToArray();
        var winners = reward.Score(prompts, pairs.Select(p => p.Winner).ToArray());
        var losers = reward.Score(prompts, pairs.Select(p => p.Loser).ToArray());
        // The PNGs are 8-bit, the scored images were floats: a near-tie may flip, nothing more.
        int agree = winners.Zip(losers).Count(s => s.First >= s.Second);
        Assert.True(agree >= 97, $"{agree} of 100 labels follow the labeler");

        var byTruth = CliRunner.Run("pairs", "--from", "renderer", "--n", "100", "--out",
            Path.Combine(dir.Path, "truth"), "--seed", "5", "--tau", "1e-9");
        Assert.True(byTruth.Exit == 0, byTruth.Err);
        // Same seed, same images: a barely trained model must still order some pairs unlike the true reward.
        byte[] Winner(string folder, int i) => File.ReadAllBytes(Path.Combine(folder, "images", $"{i:D6}_w.png"));
        int swapped = Enumerable.Range(1, 100)
            .Count(i => !Winner(labelled, i).SequenceEqual(Winner(Path.Combine(dir.Path, "truth"), i)));
        Assert.InRange(swapped, 1, 99);
    }

    [Fact]
    public void LabelerTrueKeepsTheDefaultOutputByteForByte()
    {
        using var dir = new TestModels.TempDir();
        string plain = Path.Combine(dir.Path, "plain"), labelled = Path.Combine(dir.Path, "true");
        Assert.Equal(0, CliRunner.Run("pairs", "--from", "renderer", "--n", "30", "--out", plain, "--seed", "3").Exit);
        Assert.Equal(0, CliRunner.Run("pairs", "--from", "renderer", "--n", "30", "--out", labelled, "--seed", "3",
            "--labeler", "true").Exit);
        var files = Directory.GetFiles(plain, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(plain, f)).Order().ToList();
        Assert.Equal(62, files.Count); // pairs.jsonl, labels.json and two PNGs per pair
        foreach (var file in files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(plain, file)), File.ReadAllBytes(Path.Combine(labelled, file)));
        Assert.DoesNotContain("labeler", File.ReadAllText(Path.Combine(plain, "labels.json")));
    }

    [Fact]
    public void TrainRefusesAFolderThatIsNotEmptyUnlessOverwrite()
    {
        using var dir = new TestModels.TempDir();
        string pairs = Path.Combine(dir.Path, "train"), model = Path.Combine(dir.Path, "model");
        Assert.Equal(0, CliRunner.Run("pairs", "--from", "renderer", "--n", "40", "--out", pairs).Exit);
        string[] train = ["reward", "train", "--pairs", pairs, "--out", model, "--steps", "2", "--batch", "8"];
        Assert.Equal(0, CliRunner.Run(train).Exit);
        byte[] first = File.ReadAllBytes(Path.Combine(model, "model.safetensors"));

        CliAssert.OneLineError(CliRunner.Run([.. train, "--seed", "1"]),
            $"{model} is not empty (config.json, model.safetensors, training.json); pass --overwrite");
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(model, "model.safetensors"))); // untouched

        var replaced = CliRunner.Run([.. train, "--seed", "1", "--overwrite"]);
        Assert.True(replaced.Exit == 0, replaced.Err);
        Assert.NotEqual(first, File.ReadAllBytes(Path.Combine(model, "model.safetensors")));
        // An existing empty folder is fine without the flag.
        Directory.CreateDirectory(Path.Combine(dir.Path, "empty"));
        Assert.Equal(0, CliRunner.Run("reward", "train", "--pairs", pairs, "--out", Path.Combine(dir.Path, "empty"),
            "--steps", "2", "--batch", "8").Exit);
    }

    [Fact]
    public void UserMistakesEndInOneLine()
    {
        using var dir = new TestModels.TempDir();
        string pairs = Path.Combine(dir.Path, "train"), missing = Path.Combine(dir.Path, "nope");
        Assert.Equal(0, CliRunner.Run("pairs", "--from", "renderer", "--n", "20", "--out", pairs).Exit);

        CliAssert.OneLineError(CliRunner.Run("reward", "eval", "--model", missing, "--pairs", pairs),
            "reward model folder not found");
        CliAssert.OneLineError(CliRunner.Run("reward", "eval", "--model", pairs, "--pairs", pairs),
            "is not a reward model folder: config.json is missing");
        CliAssert.OneLineError(CliRunner.Run("pairs", "--from", "renderer", "--n", "4", "--out",
            Path.Combine(dir.Path, "p2"), "--labeler", missing), "reward model folder not found");
        CliAssert.OneLineError(CliRunner.Run("reward", "train", "--pairs", missing, "--out",
            Path.Combine(dir.Path, "m")), "pairs not found");
        CliAssert.OneLineError(CliRunner.Run("reward", "train", "--pairs", pairs, "--out",
            Path.Combine(dir.Path, "m"), "--steps", "0"), "--steps must be at least 1");
        CliAssert.OneLineError(CliRunner.Run("reward", "train", "--pairs", pairs, "--out",
            Path.Combine(dir.Path, "m"), "--batch", "64"), "fewer than one batch of 64");
        CliAssert.OneLineError(CliRunner.Run("reward", "train", "--pairs", pairs), "--out");
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "m")));
    }
}
