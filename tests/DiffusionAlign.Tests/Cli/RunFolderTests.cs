using DiffusionAlign.Cli;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// A training command's --out holds one run: a second run there is refused unless it resumes (--resume) or
/// replaces (--overwrite) the first; --resume needs a checkpoint; Ctrl+C says whether one was kept.
/// </summary>
[Collection("Console")]
public sealed class RunFolderTests
{
    private static (int Exit, string Out, string Err) Align(string model, string pairs, string run, int steps,
        params string[] extra) =>
        CliRunner.Run(["align", "--method", "dpo", "--model", model, "--pairs", pairs, "--out", run,
            "--steps", steps.ToString(), "--batch", "1", "--checkpoint-every", "1", .. extra]);

    [Fact]
    public void ASecondAlignRunInTheSameFolderNeedsResumeOrOverwrite()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        string run = Path.Combine(dir.Path, "run");
        string checkpoint = Path.Combine(run, "checkpoint");
        string metrics = Path.Combine(run, "metrics.jsonl");
        var first = Align(model, pairs, run, 3);
        Assert.True(first.Exit == 0, first.Err);
        Assert.True(Directory.Exists(checkpoint));
        Assert.Equal(3, File.ReadAllLines(metrics).Length);

        var again = Align(model, pairs, run, 3);
        CliAssert.OneLineError(again, $"{run} holds another run (checkpoint/, metrics.jsonl); pass --resume");
        Assert.Contains("--overwrite", again.Err);
        Assert.Equal(3, File.ReadAllLines(metrics).Length); // untouched

        CliAssert.OneLineError(Align(model, pairs, run, 3, "--resume", "--overwrite"), "pick one");

        // The old run ended with a checkpoint at step 3; a one-step run leaves only its own, at step 1.
        var replaced = Align(model, pairs, run, 1, "--overwrite");
        Assert.True(replaced.Exit == 0, replaced.Err);
        Assert.Equal(["step-000001"], Directory.GetDirectories(checkpoint).Select(Path.GetFileName));
        Assert.Single(File.ReadAllLines(metrics));
    }

    [Fact]
    public void ResumeContinuesACheckpointedRun()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        string run = Path.Combine(dir.Path, "run");
        // A finished 3-step run keeps its step-2 checkpoint; resuming redoes step 3 and logs it once.
        Assert.Equal(0, Align(model, pairs, run, 3).Exit);
        var resumed = Align(model, pairs, run, 3, "--resume");
        Assert.True(resumed.Exit == 0, resumed.Err);
        Assert.Contains("after 3 steps", resumed.Err);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
    }

    [Theory]
    [InlineData("align")]
    [InlineData("pretrain")]
    public void ResumeWithNothingToResumeIsAnError(string command)
    {
        using var dir = new TestModels.TempDir();
        string run = Path.Combine(dir.Path, "run");
        string[] args = command == "align"
            ? ["align", "--method", "dpo", "--model", "/nonexistent/model", "--pairs", dir.Path, "--out", run]
            : ["pretrain", "--out", run];
        CliAssert.OneLineError(CliRunner.Run([.. args, "--resume"]), $"nothing to resume in {run}");
        // An empty or half-written checkpoint folder is nothing to resume either.
        Directory.CreateDirectory(Path.Combine(run, "checkpoint"));
        CliAssert.OneLineError(CliRunner.Run([.. args, "--resume"]), $"nothing to resume in {run}");
    }

    [Theory]
    [InlineData("checkpoint/")]
    [InlineData("metrics.jsonl")]
    public void PretrainRefusesAFolderHoldingAnotherRun(string leftover)
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, leftover);
        if (leftover.EndsWith('/')) Directory.CreateDirectory(path);
        else File.WriteAllText(path, "{}\n");
        var run = CliRunner.Run("pretrain", "--out", dir.Path, "--steps", "1");
        CliAssert.OneLineError(run, $"{dir.Path} holds another run ({leftover}); pass --resume");
        Assert.True(Path.Exists(path));
    }

    [Fact]
    public void CtrlCSaysWhetherACheckpointWasKept()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt);
        string run = Path.Combine(dir.Path, "run");
        string checkpoint = Path.Combine(run, "checkpoint");

        Assert.Equal("dalign: cancelled before the first checkpoint; nothing was kept", Cancel(checkpoint));
        Assert.Equal(0, Align(model, pairs, run, 2).Exit);
        Assert.Equal($"dalign: cancelled; the last checkpoint in {checkpoint} is kept, rerun with --resume to "
            + "continue", Cancel(checkpoint));
        Assert.Equal("dalign: cancelled", Cancel(null));
    }

    /// <summary>What the CLI prints when Ctrl+C stops a command whose checkpoints go to the given folder.</summary>
    private static string Cancel(string? checkpoint)
    {
        var old = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            int exit = CommandRunner.Run(() => throw new OperationCanceledException(), checkpoint);
            Assert.Equal(CommandRunner.Cancelled, exit);
        }
        finally
        {
            Console.SetError(old);
        }
        return err.ToString().Trim();
    }
}
