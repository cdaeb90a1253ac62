// dalign mix, run in-process: the mixture folder it writes is a model for sample and eval; mistakes end in one line.
using System.Text.Json;
using DiffusionAlign.Mixing;

namespace DiffusionAlign.Tests.Cli;

[Collection("Console")]
public sealed class MixCommandTests
{
    /// <summary>Evaluation and search at the smallest size that still has two prompts (for clustered intervals).
    /// </summary>
    private static readonly string[] Tiny =
    [
        "--prompts", "2", "--seeds", "2", "--steps", "2", "--md-iterations", "2", "--md-samples", "2",
    ];

    private static (string A, string B) TwoModels(string parent)
    {
        string a = Path.Combine(parent, "a"), b = Path.Combine(parent, "b");
        using (var model = TestModels.Micro(seed: 1)) model.Save(a);
        using (var model = TestModels.Micro(seed: 2)) model.Save(b);
        return (a, b);
    }

    [Fact]
    public void AutoWeightsWriteAMixtureThatSampleAndEvalRead()
    {
        using var dir = new TestModels.TempDir();
        var (a, b) = TwoModels(dir.Path);
        string mix = Path.Combine(dir.Path, "mix");
        var run = CliRunner.Run(["mix", "--model", $"A={a}", "--model", $"B={b}", "--weights", "auto", "--out", mix,
            "--json", .. Tiny]);
        Assert.True(run.Exit == 0, run.Err);
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal("mirror descent", root.GetProperty("weights_source").GetString());
        double wa = root.GetProperty("weights").GetProperty("A").GetDouble();
        double wb = root.GetProperty("weights").GetProperty("B").GetDouble();
        Assert.Equal(1, wa + wb, 12);
        Assert.Equal(2, root.GetProperty("mirror_descent").GetProperty("steps").GetArrayLength());
        var names = root.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("name").GetString());
        Assert.Equal(["A", "B", "mixture"], names);
        var mixture = root.GetProperty("candidates")[2].GetProperty("rewards");
        foreach (var reward in new[] { "alignment", "aesthetics" })
        {
            var r = mixture.GetProperty(reward);
            Assert.InRange(r.GetProperty("mean").GetDouble(), 0, 1);
            Assert.True(r.GetProperty("ci_low").GetDouble() <= r.GetProperty("ci_high").GetDouble());
            Assert.Equal(4, r.GetProperty("n").GetInt32());
        }
        Assert.Equal(File.ReadAllText(Path.Combine(mix, MixResults.FileName)), run.Out.TrimEnd());
        Assert.True(new FileInfo(Path.Combine(mix, ParetoFrontPlot.FileName)).Length > 1000);

        var sample = CliRunner.Run("sample", "--model", mix, "--prompt", CliInputs.GoodPrompt, "--n", "2",
            "--steps", "2", "--out", Path.Combine(dir.Path, "grid.png"));
        Assert.True(sample.Exit == 0, sample.Err);
        Assert.True(File.Exists(Path.Combine(dir.Path, "grid.png")));

        string results = Path.Combine(dir.Path, "results.json");
        var eval = CliRunner.Run("eval", "--model", $"a={a}", "--model", $"mix={mix}", "--baseline", "a",
            "--prompts", "2", "--seeds", "1", "--steps", "2", "--out", results,
            "--pairs", CliInputs.Pairs(dir.Path, CliInputs.GoodPrompt), "--elbo-draws", "1");
        Assert.True(eval.Exit == 0, eval.Err);
        using var evaluated = JsonDocument.Parse(File.ReadAllText(results));
        Assert.True(evaluated.RootElement.GetProperty("models").TryGetProperty("mix", out _));
    }

    [Fact]
    public void GivenWeightsPrintATableAndAVertexScoresAsItsPolicy()
    {
        using var dir = new TestModels.TempDir();
        var (a, b) = TwoModels(dir.Path);
        var run = CliRunner.Run(["mix", "--model", $"A={a}", "--model", $"B={b}", "--weights", "1,0", "--front", "1",
            "--compare", $"ref={a}", .. Tiny]);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("mixture weights (given): A 1.000, B 0.000", run.Out);
        Assert.Contains("w=0.5/0.5", run.Out);
        // The vertex samples exactly as A from the same noises, so its row's scores equal A's.
        string Row(string name) => string.Join("|", run.Out.Split('\n')
            .First(l => l.StartsWith('│') && l.Contains($" {name} ")).Split('│')[3..5]);
        Assert.Equal(Row("A"), Row("mixture"));
        Assert.NotEqual(Row("A"), Row("B"));
        // A policy compared with, not mixed, is scored on the same noises: A's own folder scores as A.
        Assert.Equal(Row("A"), Row("ref"));
        Assert.Contains("(compared)", run.Out);
    }

    [Fact]
    public void MistakesEndInOneLine()
    {
        using var dir = new TestModels.TempDir();
        var (a, b) = TwoModels(dir.Path);
        string[] Mix(string weights, params string[] more) =>
            ["mix", "--model", $"A={a}", "--model", $"B={b}", "--weights", weights, .. more];
        CliAssert.OneLineError(CliRunner.Run(Mix("0.5,-0.5")),
            "--weights: mixture weights must be finite numbers >= 0");
        CliAssert.OneLineError(CliRunner.Run(Mix("1")), "--weights: give 2 comma-separated weights");
        CliAssert.OneLineError(CliRunner.Run(Mix("0,0")), "all zero");
        CliAssert.OneLineError(CliRunner.Run(Mix("x,1")), "is not a number");
        CliAssert.OneLineError(CliRunner.Run(Mix("auto", "--md-iterations", "0")),
            "--md-iterations must be at least 1");
        CliAssert.OneLineError(CliRunner.Run(Mix("auto", "--md-probe", "2")), "--md-probe must be in (0, 1]");
        CliAssert.OneLineError(CliRunner.Run(Mix("auto", "--reward", "alignment", "--reward", "alignment")),
            "given twice");
        CliAssert.OneLineError(CliRunner.Run("mix", "--model", $"A={a}", "--model",
            $"B={Path.Combine(dir.Path, "missing")}", "--weights", "auto"), "model folder not found");
        CliAssert.OneLineError(CliRunner.Run("mix", "--model", $"A={a}", "--weights", "1"), "at least two --model");
        CliAssert.OneLineError(CliRunner.Run(Mix("1,1", "--out", a)), "holds a model; give a new folder");
        CliAssert.OneLineError(CliRunner.Run(Mix("1,1", "--compare", $"B={a}")), "--compare B: the name is taken");
        CliAssert.OneLineError(CliRunner.Run(Mix("1,1", "--compare", $"mixture={a}")), "the name is taken");

        string big = Experiments.Study.StudyTestModel.Save(Path.Combine(dir.Path, "big"));
        CliAssert.OneLineError(CliRunner.Run("mix", "--model", $"A={a}", "--model", $"B={big}", "--weights", "1,1"),
            "must share the sample shape");
    }

    [Fact]
    public void PairsCanBeLabelledByEitherHalfOfTheReward()
    {
        using var dir = new TestModels.TempDir();
        foreach (var half in new[] { "alignment", "aesthetics" })
        {
            string pairs = Path.Combine(dir.Path, half);
            var run = CliRunner.Run("pairs", "--from", "renderer", "--n", "40", "--out", pairs, "--labeler", half);
            Assert.True(run.Exit == 0, run.Err);
            using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(pairs, "labels.json")));
            Assert.Equal($"shapes {half} reward", info.RootElement.GetProperty("labeler").GetString());
        }
    }
}
