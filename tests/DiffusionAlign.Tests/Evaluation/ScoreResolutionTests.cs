using DiffusionAlign.Evaluation;
using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Evaluation;

public sealed class ScoreResolutionTests
{
    [Fact]
    public void ResolutionIsTheNinetyNinthPercentileOfTheDifferences()
    {
        // 0, 0.001, …, 0.099: the type-7 99th percentile sits at rank 0.99·99 = 98.01, i.e. 0.09801.
        var differences = Enumerable.Range(0, 100).Select(i => i / 1000.0);

        var resolution = ScoreResolution.FromDifferences(differences);

        Assert.Equal(0.09801, resolution.Value, 12);
        Assert.Equal(resolution.Value, resolution.RawQuantile);
        Assert.Equal(100, resolution.N);
        Assert.Contains("99th percentile", resolution.Method);
        Assert.All(resolution.Method, c => Assert.True(c < 128, $"'{c}' is not ASCII"));
    }

    [Fact]
    public void AScoreThatDoesNotMoveGetsTheFloor()
    {
        var resolution = ScoreResolution.FromDifferences([0, 0, 0, 1e-9]);
        Assert.Equal(ScoreResolution.DefaultFloor, resolution.Value);
        Assert.True(resolution.RawQuantile < resolution.Floor);
        Assert.Equal(AlignmentEvaluator.RewardTieTolerance, resolution.Floor);
    }

    [Fact]
    public void BadDifferencesAreRejected()
    {
        Assert.Throws<DiffusionAlignException>(() => ScoreResolution.FromDifferences([]));
        Assert.Throws<ArgumentException>(() => ScoreResolution.FromDifferences([-0.1]));
        Assert.Throws<ArgumentException>(() => ScoreResolution.FromDifferences([double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScoreResolution.FromDifferences([0.1], quantile: 1));
    }

    [Fact]
    public void RequantisationMovesEveryValueByLessThanOneLevelOntoTheEightBitGrid()
    {
        var random = new Random(1);
        var image = new RgbImage(8, 8, [.. Enumerable.Range(0, 8 * 8 * 3).Select(_ => (float)random.NextDouble())]);

        var requantised = DitheredRequantisation.Apply(image, seed: 5);

        for (int i = 0; i < image.Pixels.Length; i++)
        {
            float v = requantised.Pixels[i];
            Assert.True(Math.Abs(v - image.Pixels[i]) < 1 / 255.0 + 1e-6, $"value {i} moved by more than 1/255");
            Assert.Equal(Math.Round(v * 255.0), v * 255.0, 3);
        }
        Assert.Equal(requantised.Pixels, DitheredRequantisation.Apply(image, seed: 5).Pixels);
        Assert.NotEqual(requantised.Pixels, DitheredRequantisation.Apply(image, seed: 6).Pixels);
    }

    [Fact]
    public void TheDitherIsUnbiased()
    {
        // A value a third of the way between two levels rounds up a third of the time: the mean is kept.
        var image = new RgbImage(64, 64, Enumerable.Repeat((float)((100 + 1 / 3.0) / 255), 64 * 64 * 3).ToArray());
        double mean = DitheredRequantisation.Apply(image, seed: 9).Pixels.Average(v => (double)v);
        Assert.Equal(image.Pixels[0], mean, 4);
    }

    [Fact]
    public void TheRewardMovesUnderRequantisationByLessThanItsRange()
    {
        // On a rendered image the reward's response to an invisible change is small but measurable: the tie rule
        // needs it to be far below the reward's range and above float rounding.
        var world = new ShapesWorld();
        var prompt = world.Split.HeldOut[0];
        var image = world.Renderer.Render(RenderParams.Ideal(prompt));
        double reward = world.Reward.Score(prompt, image);
        var moves = Enumerable.Range(0, 20).Select(s => Math.Abs(reward
            - world.Reward.Score(prompt, DitheredRequantisation.Apply(image, DitheredRequantisation.SeedFor(1, s)))));
        Assert.InRange(ScoreResolution.FromDifferences(moves).Value, ScoreResolution.DefaultFloor, 0.05);
    }
}
