namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// A colour as linear floats in [0, 1] (the same scale as <see cref="Imaging.RgbImage"/> pixels).
/// Distances between colours are plain Euclidean RGB distances: the palette is chosen so that
/// this simple metric separates every pair of names clearly.
/// </summary>
public readonly record struct Rgb(float R, float G, float B)
{
    /// <summary>Builds a colour from 8-bit channel values (0..255).</summary>
    public static Rgb FromBytes(int r, int g, int b) => new(r / 255f, g / 255f, b / 255f);

    /// <summary>Euclidean distance in RGB; 0 for equal colours, at most √3.</summary>
    public double DistanceTo(Rgb other)
    {
        double dr = R - other.R, dg = G - other.G, db = B - other.B;
        return Math.Sqrt(dr * dr + dg * dg + db * db);
    }

    /// <summary>The colour a fraction <paramref name="t"/> of the way towards <paramref name="to"/>.</summary>
    public Rgb Lerp(Rgb to, double t) =>
        new((float)(R + t * (to.R - R)), (float)(G + t * (to.G - G)), (float)(B + t * (to.B - B)));

    /// <summary>The colour with every channel clamped to [0, 1].</summary>
    public Rgb Clamped() => new(Math.Clamp(R, 0f, 1f), Math.Clamp(G, 0f, 1f), Math.Clamp(B, 0f, 1f));

    public override string ToString() => $"({R:0.000}, {G:0.000}, {B:0.000})";
}
