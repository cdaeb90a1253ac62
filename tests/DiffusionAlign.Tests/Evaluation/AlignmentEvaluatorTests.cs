using System.Text.Json;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Tests.Training;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Evaluation;

public sealed class AlignmentEvaluatorTests
{
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

        using var doc = JsonDocument.Parse(results.ToJson());
        var root = doc.RootElement;
        Assert.True(root.GetProperty("models").GetProperty("base").TryGetProperty("mean_reward", out _));
        var win = root.GetProperty("win_rate").GetProperty("same");
        foreach (var key in new[] { "vs", "rate", "ci_low", "ci_high", "n" })
            Assert.True(win.TryGetProperty(key, out _), key);
        Assert.Equal("base", win.GetProperty("vs").GetString());
        Assert.True(root.GetProperty("ranking_accuracy").TryGetProperty("same", out _));
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
