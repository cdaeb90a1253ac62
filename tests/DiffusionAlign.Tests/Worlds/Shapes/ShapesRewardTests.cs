using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapesRewardTests
{
    private readonly ShapesRenderer _renderer = new();
    private readonly ShapesReward _reward = new();
    private readonly IReadOnlyList<ShapesPrompt> _prompts = new PromptSplit().All;

    public static TheoryData<RenderFlaw> Flaws => new(Enum.GetValues<RenderFlaw>());

    [Theory]
    [MemberData(nameof(Flaws))]
    public void CleanRendersBeatFlawedRendersOfTheSamePromptAndSeed(RenderFlaw flaw)
    {
        var gaps = new List<double>();
        foreach (ShapesPrompt prompt in _prompts)
            for (int seed = 0; seed < 2; seed++)
            {
                double clean = _reward.Score(prompt,
                    _renderer.Render(_renderer.SampleParams(prompt, new Random(seed), 0)));
                double flawed = _reward.Score(prompt,
                    _renderer.Render(_renderer.SampleParams(prompt, new Random(seed), 0, flaw)));
                gaps.Add(clean - flawed);
            }
        Assert.True(gaps.Average() > 0.1, $"{flaw}: mean gap {gaps.Average():0.000}");
        Assert.True(gaps.All(g => g > 0),
            $"{flaw}: clean lost {gaps.Count(g => g <= 0)} of {gaps.Count}, worst gap {gaps.Min():0.000}");
    }

    [Fact]
    public void CleanRendersScoreHigh()
    {
        foreach (ShapesPrompt prompt in _prompts)
            for (int seed = 0; seed < 3; seed++)
            {
                double score = _reward.Score(prompt,
                    _renderer.Render(_renderer.SampleParams(prompt, new Random(seed), 0)));
                Assert.True(score > 0.9, $"{prompt} seed {seed}: {score:0.000}");
            }
    }

    [Fact]
    public void BlankAndUniformNoiseImagesScoreLow()
    {
        var rng = new Random(11);
        foreach (ShapesPrompt prompt in _prompts)
        {
            // Blank in the prompt's own background colour: right background, but nothing on it.
            Rgb bg = ShapesVocabulary.Colour(prompt.Background);
            Assert.True(_reward.Score(prompt, Filled(32, bg)) < 0.3);
            Assert.True(_reward.Score(prompt, Filled(32, new Rgb(0, 0, 0))) < 0.3);
            var noise = new RgbImage(32, 32);
            for (int i = 0; i < noise.Pixels.Length; i++) noise.Pixels[i] = (float)rng.NextDouble();
            Assert.True(_reward.Score(prompt, noise) < 0.3);
        }
    }

    [Fact]
    public void AnImageScoresHighestUnderItsOwnPrompt()
    {
        // Change one slot of the prompt at a time: every such wrong prompt must score lower.
        foreach (ShapesPrompt prompt in _prompts)
        {
            RgbImage image = _renderer.Render(_renderer.SampleParams(prompt, new Random(4), 0));
            double own = _reward.Score(prompt, image);
            foreach (ShapesPrompt other in _prompts.Where(p => DifferingSlots(p, prompt) == 1))
                Assert.True(_reward.Score(other, image) < own - 0.05, $"'{prompt}' image under '{other}'");
        }
        RgbImage redCircle =
            _renderer.Render(RenderParams.Ideal(ShapesPrompt.Parse("a red circle on a white background")));
        Assert.True(_reward.Score(ShapesPrompt.Parse("a blue square on a white background"), redCircle)
                    < _reward.Score(ShapesPrompt.Parse("a red circle on a white background"), redCircle) - 0.3);
    }

    [Fact]
    public void ComponentsAreCalibratedToTheDocumentedFormula()
    {
        // Each line moves one measured quantity to where its documented component equals e^-1 ≈ 0.368.
        var prompt = ShapesPrompt.Parse("a green square on a black background");
        RenderParams ideal = RenderParams.Ideal(prompt);
        double e1 = Math.Exp(-1);

        RewardBreakdown perfect = Explain(prompt, ideal, 64);
        foreach (var (name, value) in perfect.Components) Assert.True(value > 0.95, $"{name} = {value:0.000}");

        // Size: ln(ρ / 0.25) = 0.35.
        Assert.Equal(e1, Explain(prompt, ideal with { Size = 0.25 * Math.Exp(0.35) }, 64).Size, 0.03);
        // Centring: offset 0.15 of the side.
        Assert.Equal(e1,
            Explain(prompt, ideal with { CentreX = 0.5 + 0.15 * 0.6, CentreY = 0.5 + 0.15 * 0.8 }, 64).Centring, 0.03);
        // Contrast: q = 0.4 gives 1 − e^-1.
        Assert.Equal(1 - e1, Explain(prompt, ideal with { Contrast = 0.4 }, 64).Contrast, 0.03);
        // Shape colour: 0.2 away from the palette green, along the blue axis.
        Rgb green = ShapesVocabulary.Colour(ShapeColour.Green);
        Assert.Equal(e1, Explain(prompt, ideal with { ShapeRgb = green with { B = green.B + 0.2f } }, 64).ShapeColour,
            0.03);
        // Background: 0.2 away from the palette black.
        Rgb black = ShapesVocabulary.Colour(BackgroundColour.Black);
        Assert.Equal(e1,
            Explain(prompt, ideal with { BackgroundRgb = black with { R = black.R + 0.2f } }, 64).BackgroundColour,
            0.03);
        // Noise: σ = 0.05 (on mid-grey so nothing is clipped).
        var greyPrompt = ShapesPrompt.Parse("a green square on a gray background");
        Assert.Equal(e1,
            Explain(greyPrompt, RenderParams.Ideal(greyPrompt) with { NoiseStd = 0.05, NoiseSeed = 3 }, 64).Noise,
            0.08);
    }

    [Fact]
    public void ScoreIsTheWeightedGeometricMeanOfTheComponents()
    {
        var prompt = ShapesPrompt.Parse("a yellow triangle on a blue background");
        RewardBreakdown b = _reward.Explain(prompt, _renderer.Render(_renderer.SampleParams(prompt, new Random(3), 1)));
        double[] weights = [0.12, 0.16, 0.12, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10];
        double expected = 1;
        for (int i = 0; i < weights.Length; i++)
            expected *= Math.Pow(0.001 + 0.999 * b.Components[i].Value, weights[i]);
        Assert.Equal(expected, b.Score, 12);
        Assert.Equal(1.0, ShapesReward.Weights.Sum(), 12);
    }

    [Fact]
    public void ScoreFallsSteadilyAsEachDefectGrows()
    {
        var prompt = ShapesPrompt.Parse("an orange circle on a gray background");
        RenderParams ideal = RenderParams.Ideal(prompt) with { NoiseSeed = 5 };
        AssertDecreasing(Enumerable.Range(0, 8).Select(i => ideal with { BlurSigma = (0.6 + 0.25 * i) / 32 }), prompt);
        AssertDecreasing(Enumerable.Range(0, 8).Select(i => ideal with { CentreX = 0.5 + 0.03 * i }), prompt);
        AssertDecreasing(Enumerable.Range(0, 8).Select(i => ideal with { Contrast = 1 - 0.1 * i }), prompt);
        AssertDecreasing(Enumerable.Range(0, 8).Select(i => ideal with { NoiseStd = 0.01 + 0.02 * i }), prompt);
        AssertDecreasing(Enumerable.Range(0, 8).Select(i => ideal with { Size = 0.26 + 0.03 * i }), prompt);
        AssertDecreasing(Enumerable.Range(0, 8).Select(
            i => ideal with { ShapeRgb = ideal.ShapeRgb.Lerp(ShapesVocabulary.Colour(ShapeColour.Red), 0.1 * i) }),
            prompt);
    }

    [Fact]
    public void TinyPixelChangesMoveTheScoreATinyAmount()
    {
        var rng = new Random(8);
        foreach (ShapesPrompt prompt in _prompts.Take(20))
        {
            RgbImage image = _renderer.Render(_renderer.SampleParams(prompt, rng, 0.5));
            RgbImage nudged = image.Clone();
            for (int i = 0; i < nudged.Pixels.Length; i++)
                nudged.Pixels[i] = Math.Clamp(nudged.Pixels[i] + (float)(rng.NextDouble() - 0.5) * 0.004f, 0f, 1f);
            Assert.True(Math.Abs(_reward.Score(prompt, image) - _reward.Score(prompt, nudged)) < 0.02);
        }
    }

    [Fact]
    public void ScoresAnyImageWithinZeroToOne()
    {
        var rng = new Random(6);
        var prompt = ShapesPrompt.Parse("a purple cross on a white background");
        var wild = new RgbImage(40, 24);
        for (int i = 0; i < wild.Pixels.Length; i++) wild.Pixels[i] = (float)(rng.NextDouble() * 3 - 1);
        wild.Pixels[5] = float.NaN;
        wild.Pixels[6] = float.PositiveInfinity;
        foreach (RgbImage image in new[] { wild, Filled(8, new Rgb(1, 1, 1)), Filled(16, new Rgb(0.5f, 0.2f, 0.9f)) })
        {
            RewardBreakdown b = _reward.Explain(prompt, image);
            Assert.InRange(b.Score, 0, 1);
            foreach (var (name, value) in b.Components) Assert.True(value is >= 0 and <= 1, $"{name} = {value}");
        }
        Assert.Throws<DiffusionAlignException>(() => _reward.Score(prompt, Filled(4, new Rgb(1, 1, 1))));
    }

    [Fact]
    public void ScoreDoesNotDependOnResolution()
    {
        foreach (ShapesPrompt prompt in _prompts.Take(12))
        {
            RenderParams p = _renderer.SampleParams(prompt, new Random(2), 0);
            Assert.Equal(_reward.Score(prompt, _renderer.Render(p, 32)), _reward.Score(prompt, _renderer.Render(p, 64)),
                0.05);
        }
    }

    private RewardBreakdown Explain(ShapesPrompt prompt, RenderParams p, int size) =>
        _reward.Explain(prompt, _renderer.Render(p, size));

    private void AssertDecreasing(IEnumerable<RenderParams> sweep, ShapesPrompt prompt)
    {
        double[] scores = sweep.Select(p => _reward.Score(prompt, _renderer.Render(p))).ToArray();
        for (int i = 1; i < scores.Length; i++)
            Assert.True(scores[i] < scores[i - 1],
                $"not decreasing: {string.Join(", ", scores.Select(s => s.ToString("0.000")))}");
    }

    private static int DifferingSlots(ShapesPrompt a, ShapesPrompt b) =>
        (a.ShapeColour != b.ShapeColour ? 1 : 0) + (a.Shape != b.Shape ? 1 : 0)
            + (a.Background != b.Background ? 1 : 0);

    private static RgbImage Filled(int size, Rgb colour)
    {
        var image = new RgbImage(size, size);
        for (int i = 0; i < size * size; i++)
            (image.Pixels[3 * i], image.Pixels[3 * i + 1], image.Pixels[3 * i + 2]) = (colour.R, colour.G, colour.B);
        return image;
    }
}
