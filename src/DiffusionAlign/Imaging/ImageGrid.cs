namespace DiffusionAlign.Imaging;

/// <summary>
/// Lays sample images out in one picture for viewing (torchvision's <c>make_grid</c> layout: every cell,
/// including the outer border, separated by <c>padding</c> pixels of <c>paddingValue</c>).
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Places same-sized images row by row in <paramref name="columns"/> columns (fewer if there are fewer images);
    /// empty cells of the last row stay at <paramref name="paddingValue"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No images, images of
    /// different sizes, columns &lt; 1, or negative padding.</exception>
    public static RgbImage Compose(IReadOnlyList<RgbImage> images, int columns, int padding = 2, float paddingValue = 1)
    {
        if (images.Count == 0) throw new ArgumentException("need at least one image", nameof(images));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "need at least one column");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding cannot be negative");
        int width = images[0].Width, height = images[0].Height;
        for (int i = 1; i < images.Count; i++)
            if (images[i].Width != width || images[i].Height != height)
                throw new ArgumentException(
                    $"image {i} is {images[i].Width}x{images[i].Height} but image 0 is {width}x{height}; "
                    + "a grid needs one size",
                    nameof(images));

        int cols = Math.Min(columns, images.Count);
        int rows = (images.Count + cols - 1) / cols;
        var grid = new RgbImage(cols * (width + padding) + padding, rows * (height + padding) + padding);
        Array.Fill(grid.Pixels, paddingValue);
        for (int i = 0; i < images.Count; i++)
        {
            int left = padding + (i % cols) * (width + padding);
            int top = padding + (i / cols) * (height + padding);
            for (int y = 0; y < height; y++)
                Array.Copy(images[i].Pixels, y * width * 3,
                    grid.Pixels, ((top + y) * grid.Width + left) * 3, width * 3);
        }
        return grid;
    }

    /// <summary>
    /// Enlarges by an integer factor with nearest-neighbour sampling, so small samples (32x32) stay crisp when viewed.
    /// </summary>
    public static RgbImage Upscale(RgbImage image, int factor)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be at least 1");
        var large = new RgbImage(image.Width * factor, image.Height * factor);
        for (int y = 0; y < large.Height; y++)
            for (int x = 0; x < large.Width; x++)
                for (int c = 0; c < 3; c++)
                    large[x, y, c] = image[x / factor, y / factor, c];
        return large;
    }

    /// <summary>Panels placed left to right, top-aligned, on white (e.g. plot panels of one figure).</summary>
    public static RgbImage SideBySide(params RgbImage[] panels)
    {
        var figure = new RgbImage(panels.Sum(p => p.Width), panels.Max(p => p.Height));
        Array.Fill(figure.Pixels, 1f);
        int offsetX = 0;
        foreach (var panel in panels)
        {
            for (int y = 0; y < panel.Height; y++)
                Array.Copy(panel.Pixels, y * panel.Width * 3,
                    figure.Pixels, (y * figure.Width + offsetX) * 3, panel.Width * 3);
            offsetX += panel.Width;
        }
        return figure;
    }
}
