namespace DiffusionAlign.Imaging;

/// <summary>
/// An RGB image as interleaved floats in [0, 1], row-major (height, width, channel).
/// The common currency between renderers, rewards, files and tensors; tensors use [-1, 1] CHW.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, float[]? pixels = null)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), "image sides must be positive");
        Width = width;
        Height = height;
        Pixels = pixels ?? new float[width * height * 3];
        if (Pixels.Length != width * height * 3)
            throw new ArgumentException(
                $"expected {width * height * 3} values for a {width}x{height} RGB image, got {Pixels.Length}",
                nameof(pixels));
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Interleaved RGB values in [0, 1], index <c>(y * Width + x) * 3 + c</c>.</summary>
    public float[] Pixels { get; }

    public float this[int x, int y, int c]
    {
        get => Pixels[(y * Width + x) * 3 + c];
        set => Pixels[(y * Width + x) * 3 + c] = value;
    }

    public RgbImage Clone() => new(Width, Height, (float[])Pixels.Clone());

    /// <summary>The image mirrored left to right (a horizontal flip).</summary>
    public RgbImage Mirrored()
    {
        var result = new RgbImage(Width, Height);
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                for (int c = 0; c < 3; c++)
                    result[x, y, c] = this[Width - 1 - x, y, c];
        return result;
    }
}
