using System.Text.Json;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Tests.Training;
using DiffusionAlign.Worlds.Shapes;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Evaluation;

public sealed class AlignmentEvaluatorTests
{
    // Rooted for the process: a temporary Scalar can be freed while LibTorch reads it.
    private static readonly Scalar Nudge = 1e-5;

    private static readonly string[] EntryKeys =
        ["ci_method", "clustered_ci_low", "clustered_ci_high", "clustered_ci_method", "prompts", "seeds"];

    [Fact]
    public void ResultsHaveTheDocumentedLayoutAndAModelTiesWithItself()
    {
        using var a = TestModels.Micro(seed: 1);
        using var b = a.Copy(); // identical weights: every comparison is a tie
        a.Freeze();
        b.Freeze();
        var models = new Dictionary<string, TextToImageModel> { ["base"] = a, ["same"] = b };
        var pairs = PreferenceTrainerTests.RendererPairs(6);
        var config = new EvaluationConfig(Prompts: 2, Seeds: 2, Sampling: new SamplingOptions(3, 2.0), ElboDraws: 2,
            Tau: 0.05);
        var results = AlignmentEvaluator.Evaluate(models, "base", new ShapesWorld(), pairs.ToList(), config);

        Assert.Equal(0.5, results.WinRate["same"].Rate, 12);
        Assert.Equal(4, results.WinRate["same"].Ties);
        Assert.Equal(results.Models["base"].MeanReward, results.Models["same"].MeanReward, 12);
        Assert.Equal(results.RankingAccuracy["base"], results.RankingAccuracy["same"], 12);
        Assert.Equal(0.5, results.ImplicitRewardAccuracy["same"], 12); // r̂ ≡ 0 against itself: all ties
        Assert.NotNull(results.IdealizedRankingAccuracy);
        Assert.Equal(0.5, results.Judge!.WinRate["same"].Rate, 12);
        Assert.Equal((0.5, 0.5), (results.WinRate["same"].ClusteredCiLow, results.WinRate["same"].ClusteredCiHigh));
        Assert.Empty(results.JudgeDisagreements!);
        Assert.True(results.RewardResolution >= AlignmentEvaluator.RewardTieTolerance);
        var gap = results.AlignmentGap!["same"];
        Assert.Equal(results.IdealizedRankingAccuracy!.Value - results.RankingAccuracy["same"], gap.Value, 12);
        Assert.Equal(6, gap.N);

        using var doc = JsonDocument.Parse(results.ToJson());
        var root = doc.RootElement;
        var scores = root.GetProperty("models").GetProperty("base");
        Assert.True(scores.TryGetProperty("mean_reward", out _));
        foreach (var key in EntryKeys) Assert.True(scores.TryGetProperty(key, out _), key);
        Assert.Equal("t", scores.GetProperty("ci_method").GetString());
        var win = root.GetProperty("win_rate").GetProperty("same");
        string[] todaysKeys = ["vs", "rate", "ci_low", "ci_high", "n", "wins", "ties", "losses"];
        foreach (var key in todaysKeys.Concat(EntryKeys)) Assert.True(win.TryGetProperty(key, out _), key);
        Assert.Equal("base", win.GetProperty("vs").GetString());
        Assert.Equal("wilson", win.GetProperty("ci_method").GetString());
        Assert.Equal(2, win.GetProperty("prompts").GetInt32());
        Assert.StartsWith("prompt-clustered bootstrap: prompts then noises, 2000 resamples",
            win.GetProperty("clustered_ci_method").GetString());
        Assert.True(root.GetProperty("ranking_accuracy").TryGetProperty("same", out _));
        Assert.Equal("test", root.GetProperty("prompt_set").GetString());
        Assert.True(root.GetProperty("reward_resolution").GetDouble() > 0);
        Assert.Contains("99th percentile", root.GetProperty("reward_resolution_method").GetString());
        foreach (var key in new[] { "value", "ci_low", "ci_high", "n", "ci_method" })
            Assert.True(root.GetProperty("alignment_gap").GetProperty("same").TryGetProperty(key, out _), key);
        var judge = root.GetProperty("judge");
        foreach (var key in new[] { "models", "win_rate", "head_to_head", "resolution", "resolution_method" })
            Assert.True(judge.TryGetProperty(key, out _), key);
        Assert.True(judge.GetProperty("models").GetProperty("same").TryGetProperty("mean_score", out _));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("judge_disagreements").ValueKind);
    }

    [Fact]
    public void ModelsWhoseSamplesDifferOnlyByFloatNoiseTieInsteadOfBeatingEachOther()
    {
        // A copy with every weight nudged by ~1e-5: its pixels move by < 1e-3 (a quarter of an 8-bit level) and
        // its rewards by ~3e-5, which a 1e-6 tie tolerance counted as about 11 wins and 11 losses of 30. Those
        // differences are below what an invisible requantisation moves the reward by, so they must all be ties.
        // Asking for more prompts than the test set has uses each of its 15 prompts once.
        using var a = TestModels.Micro(seed: 2);
        using var nudged = a.Copy();
        using (no_grad())
        using (var generator = new Generator(7))
            foreach (var p in nudged.Unet.parameters())
            {
                using var noise = randn(p.shape, generator: generator);
                p.add_(noise.mul(Nudge));
            }
        a.Freeze();
        nudged.Freeze();
        var models = new Dictionary<string, TextToImageModel> { ["base"] = a, ["nudged"] = nudged };
        var config = new EvaluationConfig(Prompts: 20, Seeds: 2, Sampling: new SamplingOptions(3, 2.0));

        var results = AlignmentEvaluator.Evaluate(models, "base", new ShapesWorld(), null, config);

        var win = results.WinRate["nudged"];
        Assert.NotEqual(results.Models["base"].MeanReward, results.Models["nudged"].MeanReward);
        Assert.Equal(30, win.N);
        Assert.Equal((15, 2), (win.Prompts, win.Seeds));
        Assert.Equal((15, 20), ((int)results.Settings["prompts"]!, (int)results.Settings["prompts_requested"]!));
        Assert.True(win.Ties == 30, $"{win.Wins} wins, {win.Ties} ties, {win.Losses} losses at resolution "
            + $"{results.RewardResolution}");
        Assert.InRange(0.5, win.ClusteredCiLow!.Value, win.ClusteredCiHigh!.Value);
        Assert.Null(results.AlignmentGap);
    }

    [Fact]
    public void TheValidationSetCanBeEvaluatedAndOnePromptHasNoClusteredInterval()
    {
        using var a = TestModels.Micro(seed: 3);
        using var b = TestModels.Micro(seed: 4);
        a.Freeze();
        b.Freeze();
        var models = new Dictionary<string, TextToImageModel> { ["base"] = a, ["other"] = b };
        var config = new EvaluationConfig(Prompts: 1, Seeds: 3, Sampling: new SamplingOptions(2, 2.0),
            PromptSet: PromptSet.Validation);

        var results = AlignmentEvaluator.Evaluate(models, "base", new ShapesWorld(), null, config);

        Assert.Equal("validation", results.PromptSet);
        var win = results.WinRate["other"];
        Assert.Equal((1, 3), (win.Prompts, win.Seeds));
        Assert.Null(win.ClusteredCiLow);
        Assert.Contains("at least two prompts", win.ClusteredCiMethod);
        Assert.NotNull(results.ToJson()); // a missing clustered interval is left out, not written as NaN
    }

    [Fact]
    public void AFileWrittenBeforeTheClusteredIntervalsStillReads()
    {
        const string old = """
            {"models": {"base": {"mean_reward": 0.3, "mean_reward_ci_low": 0.2, "mean_reward_ci_high": 0.4,
              "colour_accuracy": 0.5, "n": 16}},
             "win_rate": {"dpo": {"vs": "base", "rate": 0.6, "ci_low": 0.5, "ci_high": 0.7, "n": 16, "wins": 9,
              "ties": 1, "losses": 6}},
             "head_to_head": {}, "ranking_accuracy": {}, "implicit_reward_accuracy": {},
             "noise_image_reward": 0.05, "held_out_pairs": 0, "baseline": "base", "settings": {}}
            """;

        var results = JsonSerializer.Deserialize<EvaluationResults>(old, EvaluationResults.JsonOptions)!;

        Assert.Equal(0.6, results.WinRate["dpo"].Rate);
        Assert.Null(results.WinRate["dpo"].ClusteredCiLow);
        Assert.Null(results.Models["base"].Prompts);
        Assert.Null(results.RewardResolution);
        Assert.Null(results.Judge);
        using var doc = JsonDocument.Parse(results.ToJson());
        Assert.False(doc.RootElement.TryGetProperty("reward_resolution", out _));
        Assert.False(doc.RootElement.GetProperty("win_rate").GetProperty("dpo").TryGetProperty("ci_method", out _));
    }

    [Fact]
    public void UnknownBaselineIsAUserError()
    {
        using var a = TestModels.Micro();
        var e = Assert.Throws<DiffusionAlignException>(() =>
            AlignmentEvaluator.Evaluate(new Dictionary<string, TextToImageModel> { ["x"] = a }, "base",
                new ShapesWorld(), null, new EvaluationConfig(1, 1)));
        Assert.Contains("baseline", e.Message);
    }
}
