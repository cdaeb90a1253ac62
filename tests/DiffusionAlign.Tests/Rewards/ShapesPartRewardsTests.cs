// The alignment and aesthetics rewards split the true reward: their weighted product is the true score.
using DiffusionAlign.Imaging;
using DiffusionAlign.Rewards;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Rewards;

public sealed class ShapesPartRewardsTests
{
    [Fact]
    public void TheTwoHalvesCombineToTheTrueRewardExactly()
    {
        // Score = Π cᵢ'^wᵢ with the floor on each component; each half is Π_S cᵢ'^(wᵢ/W_S), so
        // alignment^W_A · aesthetics^W_E = Score with W_A = W_E = 0.5, whatever the components, floor included.
        var world = new ShapesWorld();
        var (prompts, images) = Examples(world, 60);
        using var alignment = new ShapesAlignmentReward(world);
        using var aesthetics = new ShapesAestheticsReward(world);
        using var truth = new ShapesTrueReward(world);
        var a = alignment.Score(prompts, images);
        var e = aesthetics.Score(prompts, images);
        var t = truth.Score(prompts, images);
        double wa = ShapesReward.AlignmentComponents.Sum(i => ShapesReward.Weights[i]);
        double we = ShapesReward.AestheticsComponents.Sum(i => ShapesReward.Weights[i]);
        Assert.Equal(0.5, wa, 12);
        Assert.Equal(0.5, we, 12);
        for (int i = 0; i < t.Length; i++)
        {
            Assert.InRange(a[i], 0, 1);
            Assert.InRange(e[i], 0, 1);
            Assert.Equal(1, Math.Pow(a[i], wa) * Math.Pow(e[i], we) / t[i], 12);
        }
        // Blank and noise images push components to the floor; the identity must hold there too.
        Assert.True(t.Min() < 0.05, $"lowest true score {t.Min()}");
        Assert.True(a.Zip(e).Count(p => Math.Abs(p.First - p.Second) > 0.2) > 5, "the halves must disagree often");
    }

    [Fact]
    public void AlignmentSeesThePromptAndAestheticsDoesNotSeeTheShapeAsked()
    {
        var world = new ShapesWorld();
        var rng = new Random(3);
        var (prompt, image) = world.SampleTrainingExample(rng, flawProbability: 0);
        // The same image asked for as another shape in the same colours.
        var other = new ShapesPrompt(prompt.ShapeColour,
            ShapesVocabulary.Shapes.First(s => s != prompt.Shape), prompt.Background);
        using var alignment = new ShapesAlignmentReward(world);
        using var aesthetics = new ShapesAestheticsReward(world);
        string[] prompts = [prompt.ToString(), other.ToString()];
        RgbImage[] images = [image, image];
        var a = alignment.Score(prompts, images);
        var e = aesthetics.Score(prompts, images);
        Assert.True(a[0] - a[1] > 0.3, $"alignment {a[0]} for its own prompt, {a[1]} for another shape");
        Assert.Equal(e[0], e[1]);
    }

    [Theory]
    [InlineData("alignment", typeof(ShapesAlignmentReward))]
    [InlineData("Aesthetics", typeof(ShapesAestheticsReward))]
    [InlineData("true", typeof(ShapesTrueReward))]
    public void TheCommandLineNamesOpenTheBuiltInRewards(string name, Type type)
    {
        using var reward = RewardModels.Open(name, new ShapesWorld());
        Assert.IsType(type, reward);
    }

    private static (List<string> Prompts, List<RgbImage> Images) Examples(ShapesWorld world, int count)
    {
        var rng = new Random(11);
        var prompts = new List<string>();
        var images = new List<RgbImage>();
        for (int i = 0; i < count; i++)
        {
            var (prompt, image) = world.SampleTrainingExample(rng, flawProbability: 0.6);
            // Some images under another prompt, so the alignment half fails where the aesthetics half does not.
            var asked = i % 3 == 0 ? world.Split.All[rng.Next(world.Split.All.Count)] : prompt;
            prompts.Add(asked.ToString());
            images.Add(image);
        }
        var noise = new RgbImage(32, 32);
        for (int i = 0; i < noise.Pixels.Length; i++) noise.Pixels[i] = (float)rng.NextDouble();
        foreach (var extra in new[] { noise, new RgbImage(32, 32) })
        {
            prompts.Add(world.Split.All[0].ToString());
            images.Add(extra);
        }
        return (prompts, images);
    }
}
