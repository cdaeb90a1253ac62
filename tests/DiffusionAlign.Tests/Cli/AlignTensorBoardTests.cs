using DiffusionAlign.Tests.Training.Logging;
using DiffusionAlign.Training.Logging;

namespace DiffusionAlign.Tests.Cli;

/// <summary><c>dalign align --report-to tensorboard</c>: what TensorBoard gets; mistakes in the flags.</summary>
[Collection("Console")]
public sealed class AlignTensorBoardTests
{
    /// <summary>What metrics.jsonl holds for DPO, each a tag under train/.</summary>
    private static readonly string[] DpoTags =
    [
        "loss", "lr", "pairs_per_second", "grad_norm", "implicit_acc", "implicit_reward_margin", "winner_err_vs_ref",
        "loser_err_vs_ref", "model_mse", "ref_mse",
    ];

    private static string[] Align(string model, string pairs, string output, params string[] more) =>
        ["align", "--method", "dpo", "--model", model, "--pairs", pairs, "--out", output, "--batch", "2",
            "--warmup", "0", .. more];

    private static void Succeeds((int Exit, string Out, string Err) run) => Assert.True(run.Exit == 0, run.Err);

    [Fact]
    public void ScalarsForEveryStepAndValidationGridsAndAResumeKeepsLoggingThere()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, "a green square on a white background",
            "a blue triangle on a black background");
        string output = Path.Combine(dir.Path, "run"), logs = Path.Combine(dir.Path, "tb");

        Succeeds(CliRunner.Run(Align(model, pairs, output, "--steps", "10", "--report-to", "tensorboard",
            "--log-dir", logs, "--validation-every", "5")));
        Assert.Equal(10, File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Length);
        var log = new EventLog(logs);
        foreach (string tag in DpoTags)
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), log.StepsOf("train/" + tag));
        Assert.Equal(new long[] { 5, 10 },
            log.Images.Where(i => i.Tag == TensorBoardLogger.GridTag).Select(i => i.Step));
        foreach (long step in new long[] { 5, 10 })
        {
            // The shapes world's 4 default validation prompts × 4 noises, 16-pixel samples enlarged 8 times.
            var grid = log.ImageAt(TensorBoardLogger.GridTag, step);
            Assert.Equal((8 * (4 * 18 + 2), 8 * (4 * 18 + 2)), (grid.Width, grid.Height));
        }

        Succeeds(CliRunner.Run(Align(model, pairs, output, "--steps", "12", "--resume", "--report-to",
            "tensorboard", "--log-dir", logs, "--validation-every", "5")));
        log = new EventLog(logs);
        Assert.Equal(2, log.Files.Count);
        foreach (string tag in DpoTags)
            Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), log.StepsOf("train/" + tag));
        Assert.Equal(new long[] { 5, 10, 12 },
            log.Images.Where(i => i.Tag == TensorBoardLogger.GridTag).Select(i => i.Step));
    }

    [Fact]
    public void TheLogFolderDefaultsToLogsInOutAndOverwriteReplacesIt()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        string output = Path.Combine(dir.Path, "run"), logs = Path.Combine(output, "logs");
        string[] flags = ["--steps", "2", "--report-to", "tensorboard", "--validation-every", "0"];

        Succeeds(CliRunner.Run(Align(model, pairs, output, flags)));
        Assert.Equal(new long[] { 1, 2 }, new EventLog(logs).StepsOf("train/loss"));
        Assert.Empty(new EventLog(logs).Images);
        Succeeds(CliRunner.Run(Align(model, pairs, output, [.. flags, "--overwrite"])));
        var log = new EventLog(logs);
        Assert.Single(log.Files);
        Assert.Equal(new long[] { 1, 2 }, log.StepsOf("train/loss"));
    }

    [Theory]
    [InlineData("need --report-to tensorboard", "--log-dir", "L")]
    [InlineData("need --report-to tensorboard", "--validation-every", "5")]
    [InlineData("need --report-to tensorboard", "--validation-prompts", CliInputs.GoodPrompt)]
    [InlineData("--report-to must be one of none, tensorboard", "--report-to", "wandb")]
    [InlineData("--validation-every must be >= 0, got -1", "--report-to", "tensorboard", "--validation-every", "-1")]
    [InlineData("--validation-prompts must not be empty", "--report-to", "tensorboard", "--validation-prompts", " ")]
    [InlineData("unicorn", "--report-to", "tensorboard", "--validation-prompts", "a purple unicorn")]
    public void MistakesInTheLoggingFlagsAreOneLineErrors(string expected, params string[] flags)
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt);
        var run = CliRunner.Run(Align(model, pairs, Path.Combine(dir.Path, "run"), ["--steps", "1", .. flags]));
        CliAssert.OneLineError(run, expected);
        Assert.False(File.Exists(Path.Combine(dir.Path, "run", "metrics.jsonl")));
    }

    [Fact]
    public void ALogFolderHoldingAnotherRunIsRefusedWithoutResumeOrOverwrite()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        string logs = Path.Combine(dir.Path, "tb");
        string[] flags = ["--steps", "1", "--report-to", "tensorboard", "--log-dir", logs, "--validation-every", "0"];
        Succeeds(CliRunner.Run(Align(model, pairs, Path.Combine(dir.Path, "a"), flags)));
        var second = CliRunner.Run(Align(model, pairs, Path.Combine(dir.Path, "b"), flags));
        CliAssert.OneLineError(second, "holds another run's TensorBoard events");
        Assert.Single(new EventLog(logs).Files);
    }
}
