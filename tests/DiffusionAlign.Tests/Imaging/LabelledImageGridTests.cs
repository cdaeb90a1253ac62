// Tests the labelled sample grid: margins sized for the text, text drawn in them, cells the enlarged images.
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Imaging;

public sealed class LabelledImageGridTests
{
    private const string Prompt = "an orange triangle on a purple background";

    private static RgbImage Noise(int side, int seed)
    {
        var random = new Random(seed);
        var image = new RgbImage(side, side);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (float)random.NextDouble();
        return image;
    }

    private static List<RgbImage> Samples(int count) => [.. Enumerable.Range(0, count).Select(i => Noise(32, i))];

    private static GridText Text(int rows, int columns) => new(
        "a title",
        [.. Enumerable.Range(0, rows).Select(r => r == 0 ? "base" : $"dspo-sdxl-{r}")],
        [.. Enumerable.Range(0, columns).Select(c => c % 2 == 0 ? Prompt : "a red circle")]);

    /// <summary>Pixels darker than mid-grey in a rectangle: text, since the margins are otherwise white.</summary>
    private static int Ink(RgbImage image, int x0, int y0, int x1, int y1)
    {
        int count = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (image[x, y, 0] + image[x, y, 1] + image[x, y, 2] < 1.5f) count++;
        return count;
    }

    [Fact]
    public void ThirtyTwoPixelSamplesAreEnlargedThreeTimes()
    {
        Assert.Equal(3, LabelledImageGrid.ScaleFor(32));
        Assert.Equal(1, LabelledImageGrid.ScaleFor(512));
        Assert.Equal(2, LabelledImageGrid.ScaleFor(48));
    }

    [Fact]
    public void TheSizeIsTheEnlargedGridPlusTheLabelMargins()
    {
        var images = Samples(6);
        var grid = LabelledImageGrid.Compose(images, 3, Text(2, 3), scale: 3, padding: 4);
        var layout = LabelledImageGrid.Measure(images, 3, Text(2, 3), scale: 3, padding: 4);

        var plain = ImageGrid.Compose([.. images.Select(i => ImageGrid.Upscale(i, 3))], 3, padding: 4);
        Assert.Equal((3 * (96 + 4) + 4, 2 * (96 + 4) + 4), (plain.Width, plain.Height));
        Assert.True(layout.Left > 40, $"row-label margin {layout.Left} px");
        Assert.True(layout.TitleHeight > 10, $"title band {layout.TitleHeight} px");
        Assert.True(layout.Top > layout.TitleHeight + 20, $"title + column labels {layout.Top} px");
        Assert.Equal((plain.Width + layout.Left, plain.Height + layout.Top), (grid.Width, grid.Height));

        var bare = LabelledImageGrid.Measure(images, 3, new GridText(), scale: 3, padding: 4);
        Assert.Equal((0, 0, plain.Width, plain.Height), (bare.Left, bare.Top, bare.Width, bare.Height));
    }

    [Fact]
    public void EveryLabelAreaHoldsText()
    {
        var images = Samples(6);
        var text = Text(2, 3);
        var grid = LabelledImageGrid.Compose(images, 3, text, scale: 3);
        var layout = LabelledImageGrid.Measure(images, 3, text, scale: 3);

        Assert.True(Ink(grid, 0, 0, grid.Width, layout.TitleHeight) > 30, "title band is blank");
        for (int c = 0; c < 3; c++)
        {
            var (x, y) = layout.Cell(0, c);
            Assert.True(Ink(grid, x, layout.TitleHeight, x + layout.CellWidth, y) > 30, $"column {c} label blank");
        }
        for (int r = 0; r < 2; r++)
        {
            var (x, y) = layout.Cell(r, 0);
            Assert.True(Ink(grid, 0, y, x, y + layout.CellHeight) > 30, $"row {r} label blank");
        }
        // The top-left corner (left of the column labels, under the title) has nothing to say.
        Assert.Equal(0, Ink(grid, 0, layout.TitleHeight, layout.Left, layout.Top));
    }

    [Fact]
    public void CellsHoldTheEnlargedImagesExactly()
    {
        var images = Samples(5);
        var grid = LabelledImageGrid.Compose(images, 3, Text(2, 3), scale: 3);
        var layout = LabelledImageGrid.Measure(images, 3, Text(2, 3), scale: 3);
        for (int i = 0; i < images.Count; i++)
        {
            var large = ImageGrid.Upscale(images[i], 3);
            var (x0, y0) = layout.Cell(i / 3, i % 3);
            for (int y = 0; y < large.Height; y++)
                for (int x = 0; x < large.Width; x++)
                    for (int c = 0; c < 3; c++)
                        Assert.Equal(large[x, y, c], grid[x0 + x, y0 + y, c]);
        }
        // The empty sixth cell stays white.
        var (ex, ey) = layout.Cell(1, 2);
        Assert.Equal(0, Ink(grid, ex, ey, ex + layout.CellWidth, ey + layout.CellHeight));
    }

    [Fact]
    public void LongColumnLabelsWrapWithinTheirColumnAndStopAtAFewLines()
    {
        var images = Samples(3);
        string longLabel = string.Join(' ', Enumerable.Repeat("background", 40));
        GridText Columns(string first) => new(ColumnLabels: [first, "red", "blue"]);
        int Band(string first) => LabelledImageGrid.Measure(images, 3, Columns(first), scale: 3).Top;

        Assert.True(Band(Prompt) > Band("red"), "a prompt wider than a cell wraps onto more lines");
        Assert.Equal(Band(longLabel), Band(longLabel + " " + longLabel));

        var grid = LabelledImageGrid.Compose(images, 3, Columns(longLabel), scale: 3);
        var layout = LabelledImageGrid.Measure(images, 3, Columns(longLabel), scale: 3);
        // Nothing spills over the gutters between columns or past the picture's sides.
        for (int c = 0; c <= 3; c++)
        {
            int gutter = c == 0 ? 0 : layout.Cell(0, c - 1).X + layout.CellWidth;
            Assert.Equal(0, Ink(grid, gutter, 0, gutter + layout.Padding, layout.Top));
        }
    }

    [Fact]
    public void LabelCountsMustMatchTheGrid()
    {
        var images = Samples(6);
        Assert.Throws<ArgumentException>(() =>
            LabelledImageGrid.Compose(images, 3, new GridText(RowLabels: ["only one"]), scale: 1));
        Assert.Throws<ArgumentException>(() =>
            LabelledImageGrid.Compose(images, 3, new GridText(ColumnLabels: ["a", "b"]), scale: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            LabelledImageGrid.Compose(images, 3, new GridText(), scale: 0));
    }
}
