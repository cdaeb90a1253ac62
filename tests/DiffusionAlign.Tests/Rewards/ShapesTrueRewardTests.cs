// The true-reward wrapper scores exactly what the shapes world's reward does, and labels pairs the same way.
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Imaging;
using DiffusionAlign.Rewards;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Rewards;

public sealed class ShapesTrueRewardTests
{
    [Fact]
    public void ScoresEqualTheWorldsReward()
    {
        var world = new ShapesWorld();
        var rng = new Random(5);
        var prompts = new List<string>();
        var images = new List<RgbImage>();
        var expected = new List<double>();
        for (int i = 0; i < 40; i++)
        {
            // Clean and flawed renders, and each image scored under a prompt that is not its own too.
            var (prompt, image) = world.SampleTrainingExample(rng, flawProbability: 0.5);
            var other = world.Split.All[rng.Next(world.Split.All.Count)];
            foreach (var p in new[] { prompt, other })
            {
                prompts.Add(p.ToString());
                images.Add(image);
                expected.Add(world.Reward.Score(p, image));
            }
        }
        using var reward = new ShapesTrueReward(world);
        Assert.Equal(expected, reward.Score(prompts, images));
        Assert.Null(reward.ImageSize);
        Assert.True(expected.Distinct().Count() > 40, "the renders must differ in reward for the check to mean much");
    }

    [Fact]
    public void RefusesAPromptOutsideTheWorldInOneLine()
    {
        using var reward = new ShapesTrueReward(new ShapesWorld());
        var e = Assert.Throws<DiffusionAlignException>(() =>
            reward.Score(["a pink hexagon on a blue background"], [new RgbImage(32, 32)]));
        Assert.Contains("pink", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AsTheLabelerItDrawsTheSameLabelsAsTheDefault()
    {
        var world = new ShapesWorld();
        var config = new PairGenerationConfig(Count: 60, Seed: 4, Source: PairSource.Renderer);
        var plain = ShapesPairGenerator.Generate(null, world, config);
        using var wrapper = new ShapesTrueReward(world);
        var wrapped = ShapesPairGenerator.Generate(null, world, config, labeler: wrapper);
        Assert.Equal(plain.Tau, wrapped.Tau);
        Assert.Equal(plain.Pairs.Select(p => p.PWinner), wrapped.Pairs.Select(p => p.PWinner));
        Assert.Equal(plain.Pairs.Select(p => p.Winner.Pixels), wrapped.Pairs.Select(p => p.Winner.Pixels));
        Assert.Equal(plain.Agreement, wrapped.TrueRewardAgreement!.Value, 12);
        Assert.Null(plain.Labeler);
    }
}
