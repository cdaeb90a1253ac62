namespace DiffusionAlign.Imaging;

/// <summary>
/// Resizes images to the model's resolution: exact area averaging when shrinking (every source
/// pixel contributes in proportion to the area it covers, so 512→32 does not alias), bilinear
/// interpolation with half-pixel centres when enlarging. The two axes are handled independently,
/// so shrinking one axis while enlarging the other also works.
/// </summary>
public static class ImageResize
{
    /// <summary>
    /// Resizes to exactly <paramref name="width"/> × <paramref name="height"/> (aspect ratio not preserved).
    /// </summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), "target sides must be positive");
        if (width == image.Width && height == image.Height) return image.Clone();

        var xWeights = AxisWeights(image.Width, width);
        var yWeights = AxisWeights(image.Height, height);

        // Horizontal pass: (Height, width) intermediate, accumulated in double to keep sums exact enough.
        var rows = new double[image.Height * width * 3];
        for (int y = 0; y < image.Height; y++)
        {
            int srcRow = y * image.Width * 3;
            for (int x = 0; x < width; x++)
            {
                double r = 0, g = 0, b = 0;
                foreach (var (index, weight) in xWeights[x])
                {
                    int s = srcRow + index * 3;
                    r += weight * image.Pixels[s];
                    g += weight * image.Pixels[s + 1];
                    b += weight * image.Pixels[s + 2];
                }
                int d = (y * width + x) * 3;
                rows[d] = r;
                rows[d + 1] = g;
                rows[d + 2] = b;
            }
        }

        // Vertical pass.
        var result = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double r = 0, g = 0, b = 0;
                foreach (var (index, weight) in yWeights[y])
                {
                    int s = (index * width + x) * 3;
                    r += weight * rows[s];
                    g += weight * rows[s + 1];
                    b += weight * rows[s + 2];
                }
                int d = (y * width + x) * 3;
                result.Pixels[d] = (float)r;
                result.Pixels[d + 1] = (float)g;
                result.Pixels[d + 2] = (float)b;
            }
        }
        return result;
    }

    /// <summary>
    /// Cuts the largest centred square out of the image and resizes it to <paramref name="size"/> ×
    /// <paramref name="size"/>. Cropping instead of squashing keeps shapes undistorted, as diffusion training pipelines
    /// (e.g. Diffusion-DPO's center crop) do. When the excess is odd, the extra pixel is dropped from the right/bottom.
    /// </summary>
    public static RgbImage ToSquare(RgbImage image, int size)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Resize(CenterCropSquare(image), size, size);
    }

    /// <summary>The largest centred square of the image (the image itself, copied, if already square).</summary>
    public static RgbImage CenterCropSquare(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int side = Math.Min(image.Width, image.Height);
        int x0 = (image.Width - side) / 2;
        int y0 = (image.Height - side) / 2;
        var crop = new RgbImage(side, side);
        for (int y = 0; y < side; y++)
            Array.Copy(image.Pixels, ((y0 + y) * image.Width + x0) * 3, crop.Pixels, y * side * 3, side * 3);
        return crop;
    }

    /// <summary>
    /// For each output index along one axis, the source indices and weights (summing to 1) that make it.
    /// </summary>
    private static (int Index, double Weight)[][] AxisWeights(int inSize, int outSize)
    {
        var weights = new (int, double)[outSize][];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            if (outSize <= inSize)
            {
                // Area: output pixel o covers source interval [o·scale, (o+1)·scale).
                double start = o * scale, end = (o + 1) * scale;
                int first = (int)Math.Floor(start);
                int last = Math.Min(inSize - 1, (int)Math.Ceiling(end) - 1);
                var list = new List<(int, double)>(last - first + 1);
                for (int i = first; i <= last; i++)
                {
                    double overlap = Math.Min(end, i + 1) - Math.Max(start, i);
                    if (overlap > 0) list.Add((i, overlap / scale));
                }
                weights[o] = [.. list];
            }
            else
            {
                // Bilinear with half-pixel centres (align_corners = false), edges clamped.
                double src = Math.Clamp((o + 0.5) * scale - 0.5, 0, inSize - 1);
                int i0 = (int)Math.Floor(src);
                int i1 = Math.Min(i0 + 1, inSize - 1);
                double frac = src - i0;
                weights[o] = i1 == i0 || frac == 0 ? [(i0, 1.0)] : [(i0, 1 - frac), (i1, frac)];
            }
        }
        return weights;
    }
}
