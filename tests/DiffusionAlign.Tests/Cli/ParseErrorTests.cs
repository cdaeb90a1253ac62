using System.Text.Json;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// Mistakes the parser catches read like every other user error (one line, exit code 2) rather than the whole
/// help page; --help and --version still print in full and succeed.
/// </summary>
[Collection("Console")]
public sealed class ParseErrorTests
{
    private static readonly string[] Align = ["align", "--method", "dpo", "--model", "m", "--pairs", "p", "--out", "o"];

    public static TheoryData<string[], string> Mistakes => new()
    {
        { ["pretrain", "--out", "o", "--stpes", "3"], "unknown option '--stpes' (did you mean --steps?)" },
        { [.. Align, "--lr", "abc"], "--lr expects a number, got 'abc'" },
        { [.. Align, "--steps", "1.5"], "--steps expects a whole number, got '1.5'" },
        { ["align", "--method", "kto", "--model", "m", "--pairs", "p", "--out", "o"],
            "--method must be one of dspo, dpo, sft, got 'kto'" },
        { [.. Align, "--precision", "fp8"], "--precision must be one of fp32, bf16, got 'fp8'" },
        { ["align", "--model", "m", "--pairs", "p"], "missing --method, --out" },
        { ["sample", "--model", "m", "--prompt", "a"], "missing --out" },
        { ["pretrain", "--out", "o", "--steps"], "--steps needs a value" },
        { ["frob"], "unknown command 'frob'" },
        { [], "give a command: pretrain, sample" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void ParseErrorsAreOneLineWithExitCode2(string[] args, string expected)
    {
        var run = CliRunner.Run(args);
        CliAssert.OneLineError(run, expected);
        Assert.Equal("", run.Out); // no help page
        Assert.DoesNotContain("System.", run.Err);
        Assert.Contains("--help", run.Err);
    }

    [Fact]
    public void SeveralMistakesShareTheLine()
    {
        var run = CliRunner.Run("align", "--lr", "abc", "--stpes", "3");
        CliAssert.OneLineError(run, "unknown option '--stpes' (did you mean --steps?); missing --method, --model, "
            + "--out; --lr expects a number, got 'abc'");
    }

    [Fact]
    public void HelpAndVersionStillSucceed()
    {
        string[][] helps = [["--help"], ["align", "--help"], ["align", "--help", "--lr", "abc"]];
        foreach (string[] args in helps)
        {
            var run = CliRunner.Run(args);
            Assert.Equal(0, run.Exit);
            Assert.Contains("Usage:", run.Out);
            Assert.Equal("", run.Err);
        }
        Assert.Contains("--method <dspo|dpo|sft> (REQUIRED)", CliRunner.Run("align", "--help").Out);
        var version = CliRunner.Run("--version");
        Assert.Equal(0, version.Exit);
        Assert.Matches(@"^\d+\.\d+", version.Out);
    }

    [Fact]
    public void EnumeratedOptionsIgnoreCase()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        var align = CliRunner.Run("align", "--method", "Dspo", "--dspo-variant", "SDXL", "--precision", "FP32",
            "--model", model, "--pairs", pairs, "--out", Path.Combine(dir.Path, "run"), "--steps", "1", "--batch", "1");
        Assert.True(align.Exit == 0, align.Err);
        Assert.Contains("DSPO: 2 pairs", align.Err);
        using (var trained = TextToImageModel.Load(Path.Combine(dir.Path, "run")))
        {
            var recipe = JsonDocument.Parse(trained.Config.Provenance["recipe"]).RootElement;
            Assert.Equal((int)DspoVariant.Sdxl, recipe.GetProperty("DspoVariant").GetInt32());
        }

        var pairsRun = CliRunner.Run("pairs", "--from", "RENDERER", "--tau", "AUTO", "--n", "2",
            "--out", Path.Combine(dir.Path, "rendered"));
        Assert.True(pairsRun.Exit == 0, pairsRun.Err);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(dir.Path, "rendered", "pairs.jsonl")).Length);
    }
}
