namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// Every row of a pairs file is checked when it loads: a prompt the model cannot encode is skipped and counted
/// like any other bad row, instead of ending a run when a batch first draws it.
/// </summary>
[Collection("Console")]
public sealed class PairsValidationTests
{
    private const string Unknown = "a pink hexagon on a blue background";

    [Fact]
    public void AlignSkipsPromptsWithUnknownWordsAndSaysSo()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        // Half the rows are bad: with them in the data, a few steps would draw one and fail.
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, Unknown, CliInputs.GoodPrompt, Unknown);
        var run = CliRunner.Run("align", "--method", "dpo", "--model", model, "--pairs", pairs,
            "--out", Path.Combine(dir.Path, "run"), "--steps", "4", "--batch", "2");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("4 rows read, 2 pairs kept, 0 ties dropped, 2 bad rows skipped (2 unknown word)", run.Err);
        Assert.Contains("DPO: 2 pairs", run.Err);
    }

    [Fact]
    public void AlignRefusesDataWithNoPromptTheModelKnows()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, Unknown, "a red dragon");
        var run = CliRunner.Run("align", "--method", "dspo", "--model", model, "--pairs", pairs,
            "--out", Path.Combine(dir.Path, "run"), "--steps", "1", "--warmup", "0");
        CliAssert.OneLineError(run, "no usable preference pairs");
        Assert.Contains("2 unknown word", run.Err);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "run")));
    }

    [Fact]
    public void EvalSkipsHeldOutPromptsWithUnknownWordsAndSaysSo()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, Unknown, CliInputs.GoodPrompt);
        string results = Path.Combine(dir.Path, "results.json");
        var run = CliRunner.Run("eval", "--model", "base=" + model, "--baseline", "base", "--pairs", pairs,
            "--prompts", "2", "--seeds", "2", "--steps", "2", "--elbo-draws", "1", "--out", results);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("held-out pairs:", run.Err);
        Assert.Contains("3 rows read, 2 pairs kept, 0 ties dropped, 1 bad rows skipped (1 unknown word)", run.Err);
        Assert.True(File.Exists(results));
    }
}
