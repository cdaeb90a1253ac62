using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapesRendererTests
{
    private readonly ShapesRenderer _renderer = new();
    private static readonly ShapesPrompt RedCircle = ShapesPrompt.Parse("a red circle on a white background");

    [Fact]
    public void SameSeedGivesTheSameImageAndOtherSeedsDiffer()
    {
        for (double flawProbability = 0; flawProbability <= 1; flawProbability += 0.5)
        {
            RgbImage a = _renderer.Render(_renderer.SampleParams(RedCircle, new Random(42), flawProbability));
            RgbImage b = _renderer.Render(_renderer.SampleParams(RedCircle, new Random(42), flawProbability));
            RgbImage c = _renderer.Render(_renderer.SampleParams(RedCircle, new Random(43), flawProbability));
            Assert.Equal(a.Pixels, b.Pixels);
            Assert.NotEqual(a.Pixels, c.Pixels);
        }
        RgbImage noisy1 = _renderer.Render(_renderer.SampleParams(RedCircle, new Random(7), 0, RenderFlaw.Noise));
        RgbImage noisy2 = _renderer.Render(_renderer.SampleParams(RedCircle, new Random(7), 0, RenderFlaw.Noise));
        Assert.Equal(noisy1.Pixels, noisy2.Pixels);
    }

    [Fact]
    public void IdealRenderHasShapeColourInsideBackgroundOutsideAndAreaPiOverSixteen()
    {
        var p = RenderParams.Ideal(RedCircle);
        RgbImage image = _renderer.Render(p, 64);
        Assert.Equal(64, image.Width);
        Assert.Equal(64, image.Height);
        Rgb red = ShapesVocabulary.Colour(ShapeColour.Red), white = ShapesVocabulary.Colour(BackgroundColour.White);
        Assert.Equal(red.R, image[32, 32, 0], 5);
        Assert.Equal(red.G, image[32, 32, 1], 5);
        Assert.Equal(white.B, image[0, 0, 2], 5);

        // Coverage recovered from the green channel; a circle of radius 0.25 covers π/16 of the image.
        double covered = 0;
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                covered += (image[x, y, 1] - white.G) / (red.G - white.G);
        Assert.Equal(Math.PI / 16, covered / (64 * 64), 0.002);
    }

    [Fact]
    public void EdgesAreAntiAliased()
    {
        RgbImage image = _renderer.Render(RenderParams.Ideal(RedCircle) with { CentreX = 0.51, CentreY = 0.49 });
        float red = ShapesVocabulary.Colour(ShapeColour.Red).G,
            white = ShapesVocabulary.Colour(BackgroundColour.White).G;
        int partial = image.Pixels
            .Where((v, i) => i % 3 == 1 && (v - white) / (red - white) is > 0.05f and < 0.95f).Count();
        Assert.InRange(partial, 20, 120); // a circle of radius 8 px has a perimeter of ≈ 50 px
    }

    [Fact]
    public void NoiseHasTheRequestedStandardDeviation()
    {
        var grey = new Rgb(0.5f, 0.5f, 0.5f);
        var p = RenderParams.Ideal(RedCircle) with { Size = 0, BackgroundRgb = grey, NoiseStd = 0.05, NoiseSeed = 9 };
        RgbImage image = _renderer.Render(p, 64);
        double mean = image.Pixels.Average(v => (double)v);
        double std = Math.Sqrt(image.Pixels.Average(v => (v - mean) * (v - mean)));
        Assert.Equal(0.5, mean, 0.003);
        Assert.Equal(0.05, std, 0.002);
    }

    [Fact]
    public void BlurSpreadsTheEdgeButKeepsTheShapeMass()
    {
        var sharp = RenderParams.Ideal(RedCircle);
        RgbImage a = _renderer.Render(sharp), b = _renderer.Render(sharp with { BlurSigma = 2.0 / 32 });
        static double Mass(RgbImage image) => image.Pixels.Where((_, i) => i % 3 == 2).Sum(v => 1 - v);
        Assert.Equal(Mass(a), Mass(b), Mass(a) * 0.01);
        // Row 5 is 2.5 px outside the radius-8 outline: background when sharp, ≈ 10% red at σ = 2 px (Φ(−1.25)).
        float whiteB = ShapesVocabulary.Colour(BackgroundColour.White).B,
            redB = ShapesVocabulary.Colour(ShapeColour.Red).B;
        Assert.Equal(whiteB, a[16, 5, 2], 5);
        Assert.Equal(whiteB + 0.106 * (redB - whiteB), b[16, 5, 2], 0.02);
    }

    [Fact]
    public void FlawProbabilityZeroGivesCleanParamsAndOneAlwaysFlaws()
    {
        var rng = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            RenderParams clean = _renderer.SampleParams(RedCircle, rng, 0);
            Assert.Empty(clean.Flaws);
            Assert.Equal(1, clean.Contrast);
            Assert.InRange(clean.Size, 0.22, 0.28);
            Assert.InRange(clean.CentreX, 0.46, 0.54);
            Assert.NotEmpty(_renderer.SampleParams(RedCircle, rng, 1).Flaws);
        }
    }

    [Fact]
    public void FlawRatesFollowTheProbabilities()
    {
        var rng = new Random(2);
        int flawed = 0, doubled = 0, total = 4000;
        var seen = new HashSet<RenderFlaw>();
        for (int i = 0; i < total; i++)
        {
            var flaws = _renderer.SampleParams(RedCircle, rng, 0.5).Flaws;
            if (flaws.Count > 0) flawed++;
            if (flaws.Count == 2)
            {
                doubled++;
                Assert.NotEqual(flaws[0], flaws[1]);
                Assert.False(flaws.Contains(RenderFlaw.TooSmall) && flaws.Contains(RenderFlaw.TooLarge));
                Assert.False(flaws.Contains(RenderFlaw.OffCentre) && flaws.Contains(RenderFlaw.OutOfFrame));
            }
            seen.UnionWith(flaws);
        }
        // Binomial(4000, 0.5): sd ≈ 32; doubles among ≈ 2000 flawed at 0.2: sd ≈ 18.
        Assert.InRange(flawed, 1870, 2130);
        Assert.InRange(doubled / (double)flawed, 0.16, 0.24);
        Assert.Equal(Enum.GetValues<RenderFlaw>().ToHashSet(), seen);
    }

    [Theory]
    [InlineData(RenderFlaw.Blur)]
    [InlineData(RenderFlaw.Noise)]
    [InlineData(RenderFlaw.WrongShape)]
    public void ForcedFlawKeepsTheNaturalJitterOfTheSameSeed(RenderFlaw flaw)
    {
        RenderParams clean = _renderer.SampleParams(RedCircle, new Random(5), 0);
        RenderParams flawed = _renderer.SampleParams(RedCircle, new Random(5), 0, flaw);
        Assert.Equal([flaw], flawed.Flaws);
        Assert.Equal(clean.CentreX, flawed.CentreX);
        Assert.Equal(clean.ShapeRgb, flawed.ShapeRgb);
        Assert.Equal(clean.NoiseSeed, flawed.NoiseSeed);
    }

    [Fact]
    public void WrongShapeAndWrongColourChangeWhatIsDrawn()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            Assert.NotEqual(ShapeKind.Circle,
                _renderer.SampleParams(RedCircle, new Random(seed), 0, RenderFlaw.WrongShape).Shape);
            RenderParams p = _renderer.SampleParams(RedCircle, new Random(seed), 0, RenderFlaw.WrongColour);
            bool shapeChanged = p.ShapeRgb.DistanceTo(ShapesVocabulary.Colour(ShapeColour.Red)) > 0.2;
            bool backgroundChanged = p.BackgroundRgb.DistanceTo(ShapesVocabulary.Colour(BackgroundColour.White)) > 0.2;
            Assert.True(shapeChanged ^ backgroundChanged);
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _renderer.SampleParams(RedCircle, new Random(0), 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => _renderer.Render(RenderParams.Ideal(RedCircle), 2));
    }
}
