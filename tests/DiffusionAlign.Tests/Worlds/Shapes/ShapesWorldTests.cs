using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapesWorldTests
{
    private readonly ShapesWorld _world = new();

    [Fact]
    public void TrainingExamplesUseOnlyTrainPromptsAndCoverThem()
    {
        var rng = new Random(0);
        var seen = new HashSet<ShapesPrompt>();
        for (int i = 0; i < 1000; i++)
        {
            var (prompt, image) = _world.SampleTrainingExample(rng, flawProbability: 0, size: 16);
            Assert.Equal(16, image.Width);
            seen.Add(prompt);
        }
        Assert.Empty(seen.Intersect(_world.Split.HeldOut));
        Assert.Empty(seen.Intersect(_world.Split.Validation));
        // 1000 uniform draws over 62 prompts miss one with probability < 62·(61/62)^1000 ≈ 5e-6.
        Assert.Equal(_world.Split.Train.Count, seen.Count);
    }

    [Fact]
    public void TrainingExamplesAreDeterministicForASeed()
    {
        var a = _world.SampleTrainingExample(new Random(12));
        var b = new ShapesWorld().SampleTrainingExample(new Random(12));
        Assert.Equal(a.Prompt, b.Prompt);
        Assert.Equal(a.Image.Pixels, b.Image.Pixels);
    }

    [Fact]
    public void CleanTrainingExamplesScoreHighAndFlawedOnesLower()
    {
        var rng = new Random(3);
        double clean = Enumerable.Range(0, 100).Average(_ =>
        {
            var (p, image) = _world.SampleTrainingExample(rng, 0);
            return _world.Reward.Score(p, image);
        });
        double flawed = Enumerable.Range(0, 100).Average(_ =>
        {
            var (p, image) = _world.SampleTrainingExample(rng, 1);
            return _world.Reward.Score(p, image);
        });
        Assert.True(clean > 0.9);
        Assert.True(flawed < clean - 0.2);
    }
}
