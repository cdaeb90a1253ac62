// Sample grids a person can read: cells enlarged, with a title, row labels and column labels around them.
using SkiaSharp;

namespace DiffusionAlign.Imaging;

/// <summary>Text around a grid; any part may be left out (null), and its margin with it.</summary>
/// <param name="Title">One line (wrapped to at most two) above everything, e.g. the prompt of every cell.</param>
/// <param name="RowLabels">One per grid row, left of it, e.g. the model that drew the row.</param>
/// <param name="ColumnLabels">One per grid column, above it, e.g. the prompt of the column.</param>
public sealed record GridText(
    string? Title = null, IReadOnlyList<string>? RowLabels = null, IReadOnlyList<string>? ColumnLabels = null);

/// <summary>Where the parts of a labelled grid are, in pixels of the composed picture.</summary>
/// <param name="Left">Width of the row-label margin (0 without row labels).</param>
/// <param name="Top">Height of the title and column-label bands together.</param>
/// <param name="TitleHeight">Height of the title band (0 without a title).</param>
/// <param name="CellWidth">Width of one enlarged image.</param>
/// <param name="CellHeight">Height of one enlarged image.</param>
/// <param name="Padding">Gap between cells and around the block of cells.</param>
public sealed record GridLayout(
    int Width, int Height, int Left, int Top, int TitleHeight, int Rows, int Columns, int CellWidth, int CellHeight,
    int Padding)
{
    /// <summary>Top-left pixel of the cell in row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public (int X, int Y) Cell(int row, int column) =>
        (Left + Padding + column * (CellWidth + Padding), Top + Padding + row * (CellHeight + Padding));
}

/// <summary>
/// Lays images out as <see cref="ImageGrid.Compose"/> does, each enlarged by an integer factor with nearest-neighbour
/// sampling (a 32×32 sample stays crisp at 96×96), with a title, row labels and column labels drawn with SkiaSharp.
/// Long labels are word-wrapped to the cell and shortened with "…" past a few lines. The cells hold the enlarged
/// images exactly; only the margins are drawn on.
/// </summary>
public static class LabelledImageGrid
{
    /// <summary>Smallest side at which a cell reads at a glance next to its labels.</summary>
    public const int ReadableCellSide = 96;

    private const float LabelSize = 13;
    private const float TitleSize = 16;
    private const int ColumnLabelLines = 4;
    private const int RowLabelLines = 3;
    private const int TitleLines = 2;
    private const int MaxRowLabelWidth = 200;
    private const int Gap = 6;
    private const float Ink = 0.12f;

    /// <summary>Smallest integer factor that enlarges <paramref name="side"/> pixels to at least
    /// <paramref name="minSide"/>.</summary>
    public static int ScaleFor(int side, int minSide = ReadableCellSide)
    {
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), side, "side must be positive");
        return Math.Max(1, (minSide + side - 1) / side);
    }

    /// <summary>Where title, labels and cells go for these images and text, without drawing anything.</summary>
    /// <exception cref="ArgumentException">No images, a label count that does not match the rows or columns,
    /// scale &lt; 1 or negative padding.</exception>
    public static GridLayout Measure(IReadOnlyList<RgbImage> images, int columns, GridText text, int scale,
        int padding = 4)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (images.Count == 0) throw new ArgumentException("need at least one image", nameof(images));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "need at least one column");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be at least 1");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding cannot be negative");
        int cols = Math.Min(columns, images.Count);
        int rows = (images.Count + cols - 1) / cols;
        if (text.RowLabels is { } rowLabels && rowLabels.Count != rows)
            throw new ArgumentException($"{rowLabels.Count} row labels for {rows} rows", nameof(text));
        if (text.ColumnLabels is { } columnLabels && columnLabels.Count != cols)
            throw new ArgumentException($"{columnLabels.Count} column labels for {cols} columns", nameof(text));

        int cellWidth = images[0].Width * scale, cellHeight = images[0].Height * scale;
        int gridWidth = cols * (cellWidth + padding) + padding;
        int gridHeight = rows * (cellHeight + padding) + padding;
        using var label = LabelText.Font(LabelSize);
        int left = 0;
        if (text.RowLabels is { } names)
        {
            float widest = names.Max(n => label.MeasureText(n));
            left = (int)Math.Ceiling(Math.Min(widest, MaxRowLabelWidth)) + 2 * Gap;
        }
        int width = left + gridWidth;
        int titleHeight = 0;
        if (text.Title is { } title)
        {
            using var font = LabelText.Font(TitleSize, bold: true);
            int lines = LabelText.Wrap(title, font, width - 2 * Gap, TitleLines).Count;
            titleHeight = (int)Math.Ceiling(lines * LabelText.LineHeight(font)) + 2 * Gap;
        }
        int columnHeight = 0;
        if (text.ColumnLabels is { } heads)
        {
            int lines = heads.Max(h => LabelText.Wrap(h, label, cellWidth, ColumnLabelLines).Count);
            columnHeight = (int)Math.Ceiling(lines * LabelText.LineHeight(label)) + Gap;
        }
        int top = titleHeight + columnHeight;
        return new GridLayout(width, top + gridHeight, left, top, titleHeight, rows, cols, cellWidth, cellHeight,
            padding);
    }

    /// <summary>
    /// Places same-sized images row by row in <paramref name="columns"/> columns, each enlarged
    /// <paramref name="scale"/> times, on white with <paramref name="padding"/> pixels between cells, and draws
    /// <paramref name="text"/> in margins around them (see <see cref="Measure"/> for where).
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Measure"/>, or images of different sizes.</exception>
    public static RgbImage Compose(IReadOnlyList<RgbImage> images, int columns, GridText text, int scale,
        int padding = 4)
    {
        var layout = Measure(images, columns, text, scale, padding);
        var cells = ImageGrid.Compose(images.Select(i => ImageGrid.Upscale(i, scale)).ToList(), columns, padding);
        var picture = new RgbImage(layout.Width, layout.Height);
        Array.Fill(picture.Pixels, 1f);
        for (int y = 0; y < cells.Height; y++)
            Array.Copy(cells.Pixels, y * cells.Width * 3,
                picture.Pixels, ((layout.Top + y) * picture.Width + layout.Left) * 3, cells.Width * 3);
        DrawText(picture, layout, text);
        return picture;
    }

    /// <summary>
    /// Draws the text on a white bitmap of the picture's size and copies the margins from it, so the cells keep
    /// their exact float values instead of a round trip through 8-bit pixels.
    /// </summary>
    private static void DrawText(RgbImage picture, GridLayout layout, GridText text)
    {
        if (text.Title is null && text.RowLabels is null && text.ColumnLabels is null) return;
        using var bitmap = new SKBitmap(picture.Width, picture.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            byte ink = (byte)Math.Round(Ink * 255);
            using var paint = new SKPaint { Color = new SKColor(ink, ink, ink), IsAntialias = true };
            using var label = LabelText.Font(LabelSize);
            if (text.Title is { } title)
            {
                using var font = LabelText.Font(TitleSize, bold: true);
                var lines = LabelText.Wrap(title, font, layout.Width - 2 * Gap, TitleLines);
                LabelText.DrawBlock(canvas, lines, layout.Width / 2f, layout.TitleHeight / 2f, SKTextAlign.Center,
                    font, paint);
            }
            if (text.ColumnLabels is { } heads)
            {
                float bandBottom = layout.Top;
                for (int c = 0; c < heads.Count; c++)
                {
                    var (x, _) = layout.Cell(0, c);
                    var lines = LabelText.Wrap(heads[c], label, layout.CellWidth, ColumnLabelLines);
                    // Bottom-aligned over its column, so labels of one or three lines all sit on the cells.
                    float centre = bandBottom - Gap / 2f - lines.Count * LabelText.LineHeight(label) / 2;
                    LabelText.DrawBlock(canvas, lines, x + layout.CellWidth / 2f, centre, SKTextAlign.Center, label,
                        paint);
                }
            }
            if (text.RowLabels is { } names)
            {
                for (int r = 0; r < names.Count; r++)
                {
                    var (_, y) = layout.Cell(r, 0);
                    var lines = LabelText.Wrap(names[r], label, layout.Left - 2 * Gap, RowLabelLines);
                    LabelText.DrawBlock(canvas, lines, layout.Left - Gap, y + layout.CellHeight / 2f,
                        SKTextAlign.Right, label, paint);
                }
            }
        }

        byte[] rgba = bitmap.Bytes;
        int rowBytes = bitmap.RowBytes;
        for (int y = 0; y < picture.Height; y++)
            for (int x = 0; x < picture.Width; x++)
            {
                if (x >= layout.Left && y >= layout.Top) continue; // The cells' block.
                int s = y * rowBytes + x * 4, d = (y * picture.Width + x) * 3;
                for (int c = 0; c < 3; c++) picture.Pixels[d + c] = rgba[s + c] / 255f;
            }
    }
}
