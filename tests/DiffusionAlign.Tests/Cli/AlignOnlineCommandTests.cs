using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Tests.Cli;

/// <summary><c>dalign align --online</c> in-process: its files, its determinism and its one-line mistakes.</summary>
[Collection("Console")]
public sealed class AlignOnlineCommandTests
{
    private static (int Exit, string Out, string Err) Online(string model, string run, params string[] extra) =>
        CliRunner.Run(["align", "--method", "dpo", "--model", model, "--out", run, "--online", "--gold-budget", "6",
            "--rounds", "2", "--silver-per-round", "3", "--reward-steps", "2", "--monitor-samples", "8", "--steps", "2",
            "--batch", "2", "--threads", "1", .. extra]);

    [Fact]
    public void AnOnlineRunWritesItsRoundsAndTheSameSeedWritesTheSameOnlineJson()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string runA = Path.Combine(dir.Path, "a"), runB = Path.Combine(dir.Path, "b");
        var a = Online(model, runA, "--seed", "7");
        Assert.True(a.Exit == 0, a.Err);
        var b = Online(model, runB, "--seed", "7");
        Assert.True(b.Exit == 0, b.Err);

        foreach (string file in new[]
                 {
                     "model.safetensors", "config.json", "metrics.jsonl", OnlineRunFolder.SummaryFileName,
                     OnlineRunFolder.RoundsLogFileName, "rounds/round-002/round.json",
                     "rounds/round-002/gold/pairs.jsonl",
                     "rounds/round-002/silver/pairs.jsonl", "rounds/round-002/reward/model.safetensors",
                 })
            Assert.True(File.Exists(Path.Combine(runA, file)), file);
        Assert.Equal(File.ReadAllText(Path.Combine(runA, OnlineRunFolder.SummaryFileName)),
            File.ReadAllText(Path.Combine(runB, OnlineRunFolder.SummaryFileName)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(runA, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(runB, "model.safetensors")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(runA, OnlineRunFolder.RoundsLogFileName)).Length);
        Assert.Contains("round 2/2 done at step 2: gold labels 6/6", a.Err);
        Assert.Contains("Spearman", a.Out); // the rounds' table is the result, on stdout
        Assert.DoesNotContain("round 1/2:", a.Out); // progress stays on stderr

        // The folder now holds an online run: a new run there, or an offline resume of it, is refused.
        CliAssert.OneLineError(Online(model, runA), "holds another run (checkpoint/, metrics.jsonl, online.json");
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        CliAssert.OneLineError(CliRunner.Run("align", "--method", "dpo", "--model", model, "--pairs", pairs,
            "--out", runA, "--steps", "2", "--resume"), "holds an online run: resume it with --online");
        // Every round is finished: a resume redoes none and saves the same model.
        var resumed = Online(model, runA, "--seed", "7", "--resume");
        Assert.True(resumed.Exit == 0, resumed.Err);
        Assert.DoesNotContain("gold labels (τ", resumed.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(runB, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(runA, "model.safetensors")));
    }

    public static TheoryData<string[], string> Mistakes => new()
    {
        { ["--online"], "--online needs --gold-budget" },
        { ["--online", "--gold-budget", "3", "--rounds", "4"], "--gold-budget is 3, fewer than the 4 rounds" },
        { ["--online", "--gold-budget", "8", "--rounds", "4", "--steps", "3"],
            "--steps is 3, fewer than the 4 rounds" },
        { ["--online", "--gold-budget", "8", "--rounds", "0"], "--rounds must be at least 1" },
        { ["--online", "--gold-budget", "8", "--silver-per-round", "-2"], "--silver-per-round must be >= 0" },
        { ["--online", "--gold-budget", "4", "--rounds", "4", "--silver-per-round", "0"],
            "--gold-budget gives round 1 only 1 pairs" },
        { ["--online", "--gold-budget", "8", "--pairs", "p"], "--online samples its pairs from the policy" },
        { ["--online", "--gold-budget", "8", "--max-pairs", "5"], "--max-pairs and --resolution apply to --pairs" },
        { ["--gold-budget", "8", "--pairs", "p"], "need --online" },
        { ["--rounds", "2", "--pairs", "p"], "need --online" },
        { ["--online", "--gold-budget", "8", "--monitor-samples", "2"], "--monitor-samples must be at least 3" },
        { [], "missing --pairs (or give --online" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void MistakesEndInOneLineBeforeAnyWork(string[] flags, string expected)
    {
        using var dir = new TestModels.TempDir();
        // The model folder does not exist: each mistake must be found before the model loads.
        var run = CliRunner.Run(["align", "--method", "dspo", "--model", Path.Combine(dir.Path, "none"), "--out",
            Path.Combine(dir.Path, "run"), .. flags]);
        CliAssert.OneLineError(run, expected);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "run")));
    }
}
