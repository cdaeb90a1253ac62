using System.Text.Json;
using DiffusionAlign.Cli.Commands;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// <c>align</c>'s diffusers-style flags: help shows every default, the flags reach the run's recorded settings
/// and its learning rates, likely mistakes are warned about on stderr, bad values are one-line errors.
/// </summary>
[Collection("Console")]
public sealed class AlignFlagsTests
{
    private static string[] Required(string method, string dir) =>
        ["align", "--method", method, "--model", "/nonexistent/model", "--pairs", dir, "--out", Path.Combine(dir, "o")];

    [Fact]
    public void HelpShowsEveryDefaultOrWhyThereIsNone()
    {
        var help = CliRunner.Run("align", "--help");
        Assert.Equal(0, help.Exit);
        var lines = help.Out.Split('\n');
        foreach (var option in AlignCommand.Create().Options.Where(o => o.Name != "--help"))
        {
            string line = Line(lines, option.Name);
            Assert.True(line.Contains("default:") || line.Contains("(REQUIRED)"), $"no default in: {line.Trim()}");
        }
        // Method-dependent defaults, read from AlignConfig.DefaultsFor.
        Assert.Contains("[default: 0.001 for dspo, 2000 for dpo; unused by sft]", Line(lines, "--beta"));
        Assert.Contains("[default: sd15; dspo only]", Line(lines, "--dspo-variant"));
        Assert.Contains("[default: constant_with_warmup]", Line(lines, "--lr-scheduler"));
        Assert.Contains("[default: 20; 0 with --lr-scheduler constant]", Line(lines, "--warmup"));
        Assert.Contains("[default: 1e-08]", Line(lines, "--adam-epsilon"));
        Assert.Contains("[default: 0.01]", Line(lines, "--adam-weight-decay"));
        Assert.Contains("[default: 1]", Line(lines, "--max-grad-norm"));
        Assert.Contains("[default: 2]", Line(lines, "--checkpoints-total-limit"));
        Assert.Contains("[default: off]", Line(lines, "--scale-lr"));
        foreach (string word in LearningRateSchedulerWords.All) Assert.Contains(word, Line(lines, "--lr-scheduler"));
    }

    [Fact]
    public void HelpDefaultsFollowTheRecipes()
    {
        // Were a method's recipe to change, help would say so: the text is built from DefaultsFor.
        Assert.Equal("[default: 300]", RecipeDefaults.Describe(nameof(AlignConfig.Steps), c => c.Steps));
        Assert.Equal("[default: 2e-05 for dspo and dpo, 3 for sft]", RecipeDefaults.Describe(
            nameof(AlignConfig.LearningRate), c => c.Method == AlignMethod.Sft ? 3.0 : c.LearningRate));
        Assert.Equal("[default: sd15; dspo only]",
            RecipeDefaults.Describe(nameof(AlignConfig.DspoVariant), c => c.DspoVariant == 0 ? "sd15" : "sdxl"));
    }

    private static string Line(string[] lines, string name) =>
        lines.Single(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal));

    [Fact]
    public void FlagsReachTheRunsSettingsAndItsLearningRates()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        string run = Path.Combine(dir.Path, "run");
        var result = CliRunner.Run("align", "--method", "dpo", "--model", model, "--pairs", pairs, "--out", run,
            "--steps", "3", "--batch", "1", "--grad-accum", "2", "--lr", "5e-4", "--scale-lr",
            "--lr-scheduler", "linear", "--warmup", "1", "--max-grad-norm", "0.5", "--adam-beta1", "0.8",
            "--adam-beta2", "0.99", "--adam-weight-decay", "0.05", "--adam-epsilon", "1e-6",
            "--checkpoints-total-limit", "3", "--checkpoint-every", "1");
        Assert.True(result.Exit == 0, result.Err);
        string checkpoint = Path.Combine(run, "checkpoint");
        Assert.Equal(3, Directory.GetDirectories(checkpoint).Length); // steps 1, 2, 3 all kept
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, "step-000003", "state.json")));
        var config = state.RootElement.GetProperty("Settings").Deserialize<AlignConfig>()!;
        Assert.Equal(LearningRateScheduler.Linear, config.LrScheduler);
        Assert.Equal(1e-3, config.LearningRate); // 5e-4 × 1 × 2, the rate the run used, recorded
        Assert.Equal(5e-4, config.LearningRatePerPair);
        Assert.Equal(1, config.WarmupSteps);
        Assert.Equal(new AdamWSettings(1e-3, 0.8, 0.99, 1e-6, 0.05), config.OptimizerSettings());
        Assert.Equal(0.5, config.GradClipNorm);
        Assert.Equal(3, config.CheckpointsTotalLimit);
        // Linear after one warm-up step: the peak, the peak (diffusers' lambda 2/2), then half (1/2).
        double[] rates = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("lr").GetDouble()).ToArray();
        Assert.Equal([1e-3, 1e-3, 5e-4], rates);
        Assert.Contains("lr=0.001 (0.0005 per pair) (linear)", result.Err);
    }

    [Theory]
    [InlineData("--steps 5 is fewer than --warmup 20: the run ends during warm-up", "dspo", "--steps", "5")]
    [InlineData("--warmup 10 is unused: --lr-scheduler constant has no warm-up", "dspo", "--lr-scheduler", "constant",
        "--warmup", "10")]
    [InlineData("--lr-num-cycles is unused by --lr-scheduler cosine", "dspo", "--lr-scheduler", "cosine",
        "--lr-num-cycles", "1")]
    [InlineData("--lr-power is unused by --lr-scheduler constant_with_warmup", "dspo", "--lr-power", "2")]
    [InlineData("--beta is unused by --method sft", "sft", "--beta", "0.001")]
    [InlineData("--dspo-variant is unused by --method dpo", "dpo", "--dspo-variant", "sd15")]
    [InlineData("--dspo-margin-beta is unused by --method sft", "sft", "--dspo-margin-beta", "2000")]
    [InlineData("--beta 2000 is far above the 0.001 published for DSPO's SD1.5 form", "dspo", "--beta", "2000")]
    [InlineData("β on DPO's scale belongs to --dspo-variant sdxl", "dspo", "--beta", "5000")]
    [InlineData("--beta 0.001 is far below the 5000 published for DSPO's SDXL branch", "dspo",
        "--dspo-variant", "sdxl")]
    [InlineData("--beta 0.001 is far below Diffusion-DPO's published 2000–5000", "dpo", "--beta", "0.001")]
    [InlineData("--lr 2e-05 is taken per pair: × 8 pairs it makes a peak of 0.00016", "dpo", "--scale-lr")]
    [InlineData("--lr 0.001 is high for full fine-tuning", "sft", "--lr", "1e-3")]
    public void LikelyMistakesAreWarnedAboutAndTheRunGoesOn(string expected, string method, params string[] flags)
    {
        using var dir = new TestModels.TempDir();
        var run = CliRunner.Run([.. Required(method, dir.Path), .. flags]);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The warnings come before the model loads; here the missing model then stops the run.
        Assert.Equal("dalign: error: model folder not found: /nonexistent/model", lines[^1]);
        var warnings = lines[..^1];
        Assert.All(warnings, l => Assert.StartsWith("dalign: warning: ", l));
        Assert.Contains(warnings, l => l.Contains(expected));
        Assert.Single(warnings);
    }

    [Theory]
    [InlineData("dspo")]
    [InlineData("dpo")]
    [InlineData("sft")]
    public void ASaneRecipePrintsNoWarning(string method)
    {
        using var dir = new TestModels.TempDir();
        string[] published = method == "dpo" ? ["--beta", "5000", "--lr", "1e-8", "--scale-lr", "--batch", "1",
            "--grad-accum", "2048", "--steps", "2000", "--warmup", "500"] : [];
        string[][] runs = [[], published, ["--lr-scheduler", "cosine_with_restarts", "--lr-num-cycles", "3"]];
        foreach (var flags in runs)
            CliAssert.OneLineError(CliRunner.Run([.. Required(method, dir.Path), .. flags]), "model folder not found");
    }

    [Fact]
    public void AStepLargerThanTheDataIsWarnedAbout()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string pairs = CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt, CliInputs.GoodPrompt);
        var run = CliRunner.Run("align", "--method", "sft", "--model", model, "--pairs", pairs,
            "--out", Path.Combine(dir.Path, "run"), "--steps", "1", "--batch", "1", "--grad-accum", "3");
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("dalign: warning: --batch × --grad-accum = 3 pairs per step is more than the 2 pairs of the "
            + "data: every step uses some pairs twice", run.Err);
    }

    [Theory]
    [InlineData("--lr-scheduler must be one of constant, constant_with_warmup", "--lr-scheduler", "cosine_annealing")]
    [InlineData("--lr-num-cycles must be at least 1", "--lr-num-cycles", "0")]
    [InlineData("--lr-power must be positive", "--lr-power", "-1")]
    [InlineData("--max-grad-norm must be positive", "--max-grad-norm", "0")]
    [InlineData("--adam-beta1 must be in [0, 1)", "--adam-beta1", "1")]
    [InlineData("--adam-beta2 must be in [0, 1)", "--adam-beta2", "-0.1")]
    [InlineData("--adam-epsilon must be >= 0", "--adam-epsilon", "-1e-8")]
    [InlineData("--adam-weight-decay must be >= 0", "--adam-weight-decay", "-0.01")]
    [InlineData("--checkpoints-total-limit must be at least 1", "--checkpoints-total-limit", "0")]
    [InlineData("--lr must be above the polynomial schedule's end rate 1e-7", "--lr-scheduler", "polynomial",
        "--lr", "1e-7")]
    [InlineData("--lr must be positive", "--lr", "-1", "--scale-lr")]
    public void BadValuesAreOneLineErrors(string expected, params string[] flags)
    {
        using var dir = new TestModels.TempDir();
        var run = CliRunner.Run([.. Required("dpo", dir.Path), .. flags]);
        CliAssert.OneLineError(run, expected);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
