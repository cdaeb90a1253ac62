using DiffusionAlign.Imaging;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// An image change nobody can see: every channel value requantised to 8 bits (what a display shows and a PNG
/// stores) with a ±½-LSB uniform dither, so each value moves by less than 1/255 and the rounding is unbiased.
/// A score that moves under this change by more than a difference between two models cannot tell them apart;
/// <see cref="ScoreResolution"/> measures how far scores move.
/// </summary>
public static class DitheredRequantisation
{
    /// <summary>A requantised copy of <paramref name="image"/>; the same seed gives the same dither.</summary>
    public static RgbImage Apply(RgbImage image, int seed)
    {
        ArgumentNullException.ThrowIfNull(image);
        var random = new Random(seed);
        var source = image.Pixels;
        var pixels = new float[source.Length];
        for (int i = 0; i < source.Length; i++)
        {
            // floor(255·v + U[0, 1)) is round(255·v + U[−½, ½)): stochastic rounding to the 8-bit grid.
            double level = Math.Floor(255.0 * Math.Clamp(source[i], 0f, 1f) + random.NextDouble());
            pixels[i] = (float)(Math.Clamp(level, 0, 255) / 255.0);
        }
        return new RgbImage(image.Width, image.Height, pixels);
    }

    /// <summary>
    /// The dither seed of sample <paramref name="sample"/> under evaluation seed <paramref name="seed"/>: the same
    /// for every model, so models are compared under the same dither, and well mixed across neighbouring samples.
    /// </summary>
    public static int SeedFor(long seed, int sample)
    {
        // SplitMix64's finaliser: neighbouring (seed, sample) pairs give unrelated generator seeds.
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)sample + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
