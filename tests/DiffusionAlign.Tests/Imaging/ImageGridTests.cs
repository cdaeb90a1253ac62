using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Imaging;

public sealed class ImageGridTests
{
    private static RgbImage Solid(int width, int height, float value)
    {
        var image = new RgbImage(width, height);
        Array.Fill(image.Pixels, value);
        return image;
    }

    [Fact]
    public void LayoutFollowsMakeGrid()
    {
        // Five 3x2 images in 2 columns with padding 1: 3 rows, width 2·(3+1)+1 = 9, height 3·(2+1)+1 = 10.
        var images = Enumerable.Range(0, 5).Select(i => Solid(3, 2, 0.1f * i)).ToArray();
        var grid = ImageGrid.Compose(images, columns: 2, padding: 1, paddingValue: 0.9f);
        Assert.Equal(9, grid.Width);
        Assert.Equal(10, grid.Height);

        Assert.Equal(0.9f, grid[0, 0, 0]); // border
        Assert.Equal(0.0f, grid[1, 1, 0]); // image 0 at (1, 1)
        Assert.Equal(0.0f, grid[3, 2, 2]); // its bottom-right pixel
        Assert.Equal(0.9f, grid[4, 1, 0]); // gap between columns
        Assert.Equal(0.1f, grid[5, 1, 1]); // image 1 at (5, 1)
        Assert.Equal(0.9f, grid[1, 3, 0]); // gap between rows
        Assert.Equal(0.2f, grid[1, 4, 0]); // image 2 at (1, 4)
        Assert.Equal(0.3f, grid[5, 4, 0]); // image 3
        Assert.Equal(0.4f, grid[1, 7, 0]); // image 4 at (1, 7)
        Assert.Equal(0.9f, grid[5, 7, 0]); // empty last cell keeps the padding value
        Assert.Equal(0.9f, grid[8, 9, 2]); // far corner
    }

    [Fact]
    public void PixelsKeepTheirPositionInsideACell()
    {
        var image = new RgbImage(2, 2);
        image[1, 0, 0] = 0.5f; // top-right, red
        image[0, 1, 2] = 0.25f; // bottom-left, blue
        var grid = ImageGrid.Compose([image], columns: 4, padding: 2, paddingValue: 1);
        Assert.Equal(6, grid.Width); // one image: the column count shrinks to it
        Assert.Equal(6, grid.Height);
        Assert.Equal(0.5f, grid[3, 2, 0]);
        Assert.Equal(0f, grid[3, 2, 1]);
        Assert.Equal(0.25f, grid[2, 3, 2]);
        Assert.Equal(1f, grid[1, 1, 1]);
    }

    [Fact]
    public void ZeroPaddingTilesExactly()
    {
        var grid = ImageGrid.Compose([Solid(2, 2, 0f), Solid(2, 2, 1f)], columns: 2, padding: 0);
        Assert.Equal(4, grid.Width);
        Assert.Equal(2, grid.Height);
        Assert.Equal(new[] { 0f, 0f, 1f, 1f }, Enumerable.Range(0, 4).Select(x => grid[x, 1, 0]));
    }

    [Fact]
    public void ShapeErrors()
    {
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([], 2));
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([Solid(2, 2, 0), Solid(3, 2, 0)], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Compose([Solid(2, 2, 0)], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Compose([Solid(2, 2, 0)], 1, padding: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageGrid.Upscale(Solid(2, 2, 0), 0));
    }

    [Fact]
    public void UpscaleRepeatsEachPixel()
    {
        var image = new RgbImage(2, 1, [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f]);
        var large = ImageGrid.Upscale(image, 3);
        Assert.Equal(6, large.Width);
        Assert.Equal(3, large.Height);
        for (int y = 0; y < 3; y++)
        {
            for (int x = 0; x < 3; x++) Assert.Equal(0.2f, large[x, y, 1]);
            for (int x = 3; x < 6; x++) Assert.Equal(0.6f, large[x, y, 2]);
        }
    }

    [Fact]
    public void SideBySidePlacesPanelsLeftToRightOnWhite()
    {
        var left = new RgbImage(2, 1, [0, 0, 0, 0.5f, 0.5f, 0.5f]);
        var right = new RgbImage(1, 2, [1, 0, 0, 0, 1, 0]);

        var figure = ImageGrid.SideBySide(left, right);

        Assert.Equal((3, 2), (figure.Width, figure.Height));
        Assert.Equal(new float[] { 0, 0, 0, 0.5f, 0.5f, 0.5f, 1, 0, 0 }, figure.Pixels[..9]);
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1, 0, 1, 0 }, figure.Pixels[9..]);
    }
}
