using System.Text.Json.Nodes;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Evaluation;

/// <summary>
/// Training replicates in an evaluation: each replicate is a model of its own, and the group is pooled against the
/// baseline as the study pools seeds, every replicate's comparisons together and prompts as the clusters.
/// </summary>
public sealed class ReplicatePoolingTests
{
    private static readonly EvaluationConfig Config =
        new(Prompts: 3, Seeds: 2, Sampling: new SamplingOptions(2, 2.0), BootstrapResamples: 200);

    [Fact]
    public void NamesGivenMoreThanOnceBecomeNumberedReplicatesOfAGroup()
    {
        var (names, groups) = ReplicateGroups.Assign(["base", "online", "offline", "online"]);
        Assert.Equal(["base", "online#1", "offline", "online#2"], names);
        Assert.Equal(["online#1", "online#2"], Assert.Single(groups.Members).Value);
        Assert.Throws<DiffusionAlignException>(() => ReplicateGroups.Assign(["a", "a", "a#1"]));
        var error = Assert.Throws<DiffusionAlignException>(() =>
            ReplicateGroups.Assign(["base", "base", "x"]).Groups.CheckBaseline("base"));
        Assert.Contains("the baseline 'base' is given 2 times", error.Message);
    }

    [Fact]
    public void AGroupPoolsItsReplicatesComparisonsWithPromptsAsClusters()
    {
        using var baseModel = TestModels.Micro(seed: 1);
        using var first = TestModels.Micro(seed: 2);
        using var second = TestModels.Micro(seed: 3);
        var models = new Dictionary<string, TextToImageModel>
        {
            ["base"] = baseModel, ["online#1"] = first, ["online#2"] = second,
        };
        foreach (var m in models.Values) m.Freeze();
        var groups = new ReplicateGroups(new Dictionary<string, IReadOnlyList<string>>
        {
            ["online"] = ["online#1", "online#2"],
        });
        var world = new ShapesWorld();
        var results = AlignmentEvaluator.Evaluate(models, "base", world, null, Config, replicates: groups);

        // Each replicate is reported as a model of its own.
        Assert.Equal(["base", "online#1", "online#2"], results.Models.Keys);
        Assert.True(results.HeadToHead.ContainsKey("online#1_vs_online#2"));
        var pooled = Assert.Single(results.Pooled!);
        Assert.Equal("online", pooled.Key);
        var group = pooled.Value;
        Assert.Equal(["online#1", "online#2"], group.Replicates);

        // The pooled rate is the hand count over both replicates' comparisons.
        var one = results.WinRate["online#1"];
        var two = results.WinRate["online#2"];
        var win = group.WinRate;
        Assert.Equal((one.N + two.N, one.Wins + two.Wins, one.Ties + two.Ties, one.Losses + two.Losses),
            (win.N, win.Wins, win.Ties, win.Losses));
        Assert.Equal((one.Wins + two.Wins + (one.Ties + two.Ties) / 2.0) / (one.N + two.N), win.Rate, 12);
        Assert.Equal(("base", 3, 2, 2), (win.Vs, win.Prompts, win.Seeds, win.Replicates));
        Assert.Equal(12, win.N);
        Assert.Equal((one.Rate + two.Rate) / 2, group.AcrossReplicates["win_rate"].Mean, 12);
        Assert.Equal(Math.Min(one.Rate, two.Rate), group.AcrossReplicates["win_rate"].Min, 12);
        Assert.Equal(Math.Abs(one.Rate - two.Rate) / Math.Sqrt(2), group.AcrossReplicates["win_rate"].Sd!.Value, 12);
        double meanReward = (results.Models["online#1"].MeanReward + results.Models["online#2"].MeanReward) / 2;
        Assert.Equal(meanReward, group.Scores.MeanReward, 12);
        Assert.Equal(meanReward, group.AcrossReplicates["mean_reward"].Mean, 12);
        Assert.Equal(12, group.Scores.N);
        Assert.NotNull(group.JudgeWinRate);

        // The interval is the study's: SeedPooling over the samples' rewards, one cluster per prompt holding both
        // replicates' comparisons on it, with the evaluation's bootstrap seed and resolution.
        var plan = EvaluationPrompts.Select(world.Split, Config);
        double[] Rewards(TextToImageModel m) => [.. AlignmentEvaluator.Sample(m, plan.Samples, Config, "m", null)
            .Select((image, i) => world.Reward.Score(plan.Samples[i], image))];
        var b = Rewards(baseModel);
        var expected = SeedPooling.WinRate([(Rewards(first), b), (Rewards(second), b)], Config.Seeds,
            results.RewardResolution!.Value, Config.BootstrapResamples, (int)Config.Seed);
        Assert.Equal(expected.Rate, win.Rate, 12);
        Assert.Equal((expected.ClusteredCiLow, expected.ClusteredCiHigh), (win.ClusteredCiLow, win.ClusteredCiHigh));
        Assert.Equal(3, expected.Prompts);
        Assert.InRange(win.Rate, win.ClusteredCiLow!.Value, win.ClusteredCiHigh!.Value);
    }

    [Fact]
    public void WithoutRepeatedNamesTheResultsHaveNoPooledSection()
    {
        using var a = TestModels.Micro(seed: 1);
        using var b = TestModels.Micro(seed: 2);
        a.Freeze();
        b.Freeze();
        var models = new Dictionary<string, TextToImageModel> { ["base"] = a, ["other"] = b };
        var config = Config with { Prompts = 2 };
        var results = AlignmentEvaluator.Evaluate(models, "base", new ShapesWorld(), null, config,
            replicates: ReplicateGroups.None);
        Assert.Null(results.Pooled);
        var root = JsonNode.Parse(results.ToJson())!.AsObject();
        Assert.False(root.ContainsKey("pooled"));
        Assert.False(root["win_rate"]!["other"]!.AsObject().ContainsKey("replicates"));
        Assert.False(root["models"]!["other"]!.AsObject().ContainsKey("replicates"));
    }

    [Fact]
    public void ARepeatedBaselineIsRefused()
    {
        using var a = TestModels.Micro(seed: 1);
        var models = new Dictionary<string, TextToImageModel> { ["base#1"] = a, ["base#2"] = a };
        var groups = new ReplicateGroups(new Dictionary<string, IReadOnlyList<string>>
        {
            ["base"] = ["base#1", "base#2"],
        });
        var error = Assert.Throws<DiffusionAlignException>(() =>
            AlignmentEvaluator.Evaluate(models, "base", new ShapesWorld(), null, Config, replicates: groups));
        Assert.Contains("give it once", error.Message);
    }
}
