using DiffusionAlign.Imaging;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// Draws shapes-world images and samples the parameters of clean or flawed renders.
/// Stateless and thread-safe; a 32×32 render takes a few tens of microseconds.
/// </summary>
public sealed class ShapesRenderer
{
    /// <summary>Supersamples per pixel side on anti-aliased edges (4×4 = 16 samples).</summary>
    private const int Supersampling = 4;

    /// <summary>Light grey that <see cref="RenderParams.Haze"/> blends towards.</summary>
    private const float HazeLevel = 0.92f;

    /// <summary>How often a flawed render gets a second, different flaw.</summary>
    public const double SecondFlawProbability = 0.2;

    /// <summary>Side of a render when none is asked for: the shapes model's.</summary>
    public const int DefaultSize = 32;

    /// <summary>
    /// Renders a square image of side <paramref name="size"/>: anti-aliased shape coverage
    /// (4×4 supersampling on edge pixels), blurred, composited over the background, then
    /// desaturated/hazed, then noised, then clamped to [0, 1].
    /// </summary>
    public RgbImage Render(RenderParams p, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (size < 4) throw new ArgumentOutOfRangeException(nameof(size), "render size must be at least 4");

        float[] coverage = Coverage(p, size);
        double sigmaPixels = p.BlurSigma * size;
        if (sigmaPixels >= 0.1) GaussianBlur(coverage, size, sigmaPixels);

        // Contrast, saturation and haze are affine per pixel, so applying them to the two
        // colours before compositing gives the same image at a fraction of the cost.
        Rgb background = Grade(p.BackgroundRgb, p);
        Rgb shape = Grade(p.BackgroundRgb.Lerp(p.ShapeRgb, p.Contrast), p);

        var pixels = new float[size * size * 3];
        for (int i = 0; i < coverage.Length; i++)
        {
            float a = coverage[i];
            pixels[3 * i] = background.R + a * (shape.R - background.R);
            pixels[3 * i + 1] = background.G + a * (shape.G - background.G);
            pixels[3 * i + 2] = background.B + a * (shape.B - background.B);
        }
        if (p.NoiseStd > 0) AddNoise(pixels, p.NoiseStd, p.NoiseSeed);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = Math.Clamp(pixels[i], 0f, 1f);
        return new RgbImage(size, size, pixels);
    }

    /// <summary>
    /// Draws render parameters for <paramref name="prompt"/>. Every render gets natural jitter
    /// (centre ±0.04, size 0.22–0.28, colour channels ±0.025, blur ≤ 0.3 px, noise std ≤ 0.01); then with
    /// probability <paramref name="flawProbability"/> one flaw drawn uniformly from <see cref="RenderFlaw"/>
    /// is applied, and a second, compatible one with probability <see cref="SecondFlawProbability"/>.
    /// </summary>
    /// <param name="prompt">What the image should show.</param>
    /// <param name="rng">Source of all randomness, including the noise seed.</param>
    /// <param name="flawProbability">Chance in [0, 1] that the render gets a flaw.</param>
    /// <param name="forcedFlaw">If set, exactly this flaw is applied, whatever
    /// <paramref name="flawProbability"/>.</param>
    /// <remarks>
    /// The natural jitter (including the noise seed) is drawn first, so the same seed gives the same
    /// base image with or without a flaw: <c>SampleParams(p, new Random(s), 0)</c> and
    /// <c>SampleParams(p, new Random(s), 0, RenderFlaw.Blur)</c> differ only by the blur.
    /// </remarks>
    public RenderParams SampleParams(ShapesPrompt prompt, Random rng, double flawProbability,
        RenderFlaw? forcedFlaw = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(flawProbability >= 0 && flawProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(flawProbability), "flaw probability must be in [0, 1]");

        var p = new RenderParams(
            prompt.Shape,
            CentreX: 0.5 + Uniform(rng, -0.04, 0.04),
            CentreY: 0.5 + Uniform(rng, -0.04, 0.04),
            Size: Uniform(rng, 0.22, 0.28),
            ShapeRgb: Jitter(ShapesVocabulary.Colour(prompt.ShapeColour), rng),
            BackgroundRgb: Jitter(ShapesVocabulary.Colour(prompt.Background), rng),
            Contrast: 1,
            BlurSigma: Uniform(rng, 0, 0.01),
            Saturation: 1,
            Haze: 0,
            NoiseStd: Uniform(rng, 0, 0.01),
            NoiseSeed: rng.Next(),
            Flaws: []);

        bool flawed = rng.NextDouble() < flawProbability;
        if (forcedFlaw is { } forced) return Apply(p, forced, prompt, rng);
        if (!flawed) return p;

        var all = Enum.GetValues<RenderFlaw>();
        RenderFlaw first = all[rng.Next(all.Length)];
        p = Apply(p, first, prompt, rng);
        if (rng.NextDouble() < SecondFlawProbability)
        {
            RenderFlaw[] compatible = all.Where(f => f != first && Group(f) != Group(first)).ToArray();
            p = Apply(p, compatible[rng.Next(compatible.Length)], prompt, rng);
        }
        return p;
    }

    /// <summary>Flaws in the same group overwrite the same parameter, so they are never combined.</summary>
    private static int Group(RenderFlaw flaw) => flaw switch
    {
        RenderFlaw.OffCentre or RenderFlaw.OutOfFrame => 1,
        RenderFlaw.TooSmall or RenderFlaw.TooLarge => 2,
        _ => 10 + (int)flaw,
    };

    private static RenderParams Apply(RenderParams p, RenderFlaw flaw, ShapesPrompt prompt, Random rng)
    {
        RenderFlaw[] flaws = [.. p.Flaws, flaw];
        switch (flaw)
        {
            case RenderFlaw.OffCentre:
            {
                double angle = Uniform(rng, 0, 2 * Math.PI), distance = Uniform(rng, 0.16, 0.26);
                return p with
                {
                    CentreX = p.CentreX + distance * Math.Cos(angle),
                    CentreY = p.CentreY + distance * Math.Sin(angle),
                    Flaws = flaws
                };
            }
            case RenderFlaw.OutOfFrame:
            {
                // Four edges and four corners; the centre lands just inside (or just past) the border.
                int where = rng.Next(8);
                double Near() => rng.Next(2) == 0 ? Uniform(rng, 0.0, 0.12) : Uniform(rng, 0.88, 1.0);
                double x = p.CentreX, y = p.CentreY;
                if (where is 0 or 2 or 4 or 5 or 6 or 7) x = Near();
                if (where is 1 or 3 or 4 or 5 or 6 or 7) y = Near();
                return p with { CentreX = x, CentreY = y, Flaws = flaws };
            }
            case RenderFlaw.WrongColour:
            {
                double amount = Uniform(rng, 0.8, 1.0);
                if (rng.NextDouble() < 0.75)
                {
                    ShapeColour[] others = ShapesVocabulary.ShapeColours.Where(c => c != prompt.ShapeColour).ToArray();
                    Rgb other = ShapesVocabulary.Colour(others[rng.Next(others.Length)]);
                    return p with { ShapeRgb = p.ShapeRgb.Lerp(other, amount), Flaws = flaws };
                }
                BackgroundColour[] backgrounds = ShapesVocabulary.Backgrounds
                    .Where(b => b != prompt.Background && !ShapesVocabulary.SameColourName(prompt.ShapeColour, b))
                    .ToArray();
                Rgb background = ShapesVocabulary.Colour(backgrounds[rng.Next(backgrounds.Length)]);
                return p with { BackgroundRgb = p.BackgroundRgb.Lerp(background, amount), Flaws = flaws };
            }
            case RenderFlaw.WashedOut:
                return p with { Saturation = Uniform(rng, 0.3, 0.6), Haze = Uniform(rng, 0.25, 0.5), Flaws = flaws };
            case RenderFlaw.Blur:
                return p with { BlurSigma = Uniform(rng, 0.04, 0.075), Flaws = flaws };
            case RenderFlaw.LowContrast:
                return p with { Contrast = Uniform(rng, 0.25, 0.5), Flaws = flaws };
            case RenderFlaw.Noise:
                return p with { NoiseStd = Uniform(rng, 0.08, 0.2), Flaws = flaws };
            case RenderFlaw.TooSmall:
                return p with { Size = Uniform(rng, 0.07, 0.12), Flaws = flaws };
            case RenderFlaw.TooLarge:
                return p with { Size = Uniform(rng, 0.42, 0.55), Flaws = flaws };
            case RenderFlaw.WrongShape:
            {
                ShapeKind[] others = ShapesVocabulary.Shapes.Where(s => s != prompt.Shape).ToArray();
                return p with { Shape = others[rng.Next(others.Length)], Flaws = flaws };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(flaw));
        }
    }

    private static double Uniform(Random rng, double low, double high) => low + (high - low) * rng.NextDouble();

    private static Rgb Jitter(Rgb colour, Random rng) =>
        new Rgb(
            (float)(colour.R + Uniform(rng, -0.025, 0.025)),
            (float)(colour.G + Uniform(rng, -0.025, 0.025)),
            (float)(colour.B + Uniform(rng, -0.025, 0.025))).Clamped();

    private static Rgb Grade(Rgb c, RenderParams p)
    {
        double luma = 0.299 * c.R + 0.587 * c.G + 0.114 * c.B;
        var grey = new Rgb((float)luma, (float)luma, (float)luma);
        return grey.Lerp(c, p.Saturation).Lerp(new Rgb(HazeLevel, HazeLevel, HazeLevel), p.Haze);
    }

    /// <summary>Fraction of each pixel inside the shape; pixels well inside or outside skip supersampling.</summary>
    private static float[] Coverage(RenderParams p, int size)
    {
        var coverage = new float[size * size];
        double radius = p.Size * size;
        if (!(radius > 0.01)) return coverage;
        double cx = p.CentreX * size, cy = p.CentreY * size;
        double extent = ShapeGeometry.Extent(p.Shape) * radius + 1;
        int x0 = Math.Max(0, (int)Math.Floor(cx - extent)), x1 = Math.Min(size - 1, (int)Math.Ceiling(cx + extent));
        int y0 = Math.Max(0, (int)Math.Floor(cy - extent)), y1 = Math.Min(size - 1, (int)Math.Ceiling(cy + extent));
        const double step = 1.0 / Supersampling;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                // A pixel whose centre is more than its half-diagonal (0.71 px) from the outline is entirely in or out.
                double distance = ShapeGeometry.SignedDistance(
                    p.Shape, (x + 0.5 - cx) / radius, (y + 0.5 - cy) / radius) * radius;
                if (distance > 0.75) continue;
                if (distance < -0.75) { coverage[y * size + x] = 1; continue; }
                int inside = 0;
                for (int j = 0; j < Supersampling; j++)
                    for (int i = 0; i < Supersampling; i++)
                        if (ShapeGeometry.Contains(
                                p.Shape, (x + (i + 0.5) * step - cx) / radius, (y + (j + 0.5) * step - cy) / radius))
                            inside++;
                coverage[y * size + x] = inside / (float)(Supersampling * Supersampling);
            }
        return coverage;
    }

    /// <summary>Separable Gaussian blur (radius 3σ) with edge pixels repeated beyond the border.</summary>
    private static void GaussianBlur(float[] plane, int size, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new float[2 * radius + 1];
        double total = 0;
        for (int k = -radius; k <= radius; k++)
            total += kernel[k + radius] = (float)Math.Exp(-k * k / (2 * sigma * sigma));
        for (int k = 0; k < kernel.Length; k++) kernel[k] /= (float)total;

        var temp = new float[plane.Length];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float sum = 0;
                for (int k = -radius; k <= radius; k++)
                    sum += kernel[k + radius] * plane[y * size + Math.Clamp(x + k, 0, size - 1)];
                temp[y * size + x] = sum;
            }
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float sum = 0;
                for (int k = -radius; k <= radius; k++)
                    sum += kernel[k + radius] * temp[Math.Clamp(y + k, 0, size - 1) * size + x];
                plane[y * size + x] = sum;
            }
    }

    /// <summary>
    /// Adds N(0, std²) to every channel, drawn by Box–Muller from a generator seeded with <paramref name="seed"/>.
    /// </summary>
    private static void AddNoise(float[] pixels, double std, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < pixels.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double radius = std * Math.Sqrt(-2.0 * Math.Log(u1));
            pixels[i] += (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < pixels.Length) pixels[i + 1] += (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }
}
