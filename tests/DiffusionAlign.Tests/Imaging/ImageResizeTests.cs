using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Imaging;

public sealed class ImageResizeTests
{
    /// <summary>An image whose three channels all hold the given row-major values.</summary>
    private static RgbImage Gray(int width, int height, params float[] values)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < values.Length; i++)
            for (int c = 0; c < 3; c++) image.Pixels[i * 3 + c] = values[i];
        return image;
    }

    private static float[] Channel(RgbImage image, int c) =>
        Enumerable.Range(0, image.Width * image.Height).Select(i => image.Pixels[i * 3 + c]).ToArray();

    [Fact]
    public void HalvingAveragesEachTwoByTwoBlock()
    {
        var image = Gray(4, 4,
            1, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
            13, 14, 15, 16);
        var small = ImageResize.Resize(image, 2, 2);
        // (1+2+5+6)/4, (3+4+7+8)/4, (9+10+13+14)/4, (11+12+15+16)/4
        float[] expected = [3.5f, 5.5f, 11.5f, 13.5f];
        for (int c = 0; c < 3; c++)
        {
            var got = Channel(small, c);
            for (int i = 0; i < 4; i++) Assert.Equal(expected[i], got[i], 5);
        }
    }

    [Fact]
    public void NonIntegerShrinkWeighsPartlyCoveredPixelsByArea()
    {
        // 3 → 2: output 0 covers source [0, 1.5), output 1 covers [1.5, 3).
        var small = ImageResize.Resize(Gray(3, 1, 0, 3, 6), 2, 1);
        var got = Channel(small, 0);
        Assert.Equal((0 * 1 + 3 * 0.5f) / 1.5f, got[0], 5); // 1
        Assert.Equal((3 * 0.5f + 6 * 1) / 1.5f, got[1], 5); // 5
    }

    [Fact]
    public void EnlargingInterpolatesBilinearlyWithHalfPixelCentres()
    {
        // 2 → 4: output centres map to source -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        var big = ImageResize.Resize(Gray(2, 1, 0, 1), 4, 1);
        var got = Channel(big, 1);
        float[] expected = [0f, 0.25f, 0.75f, 1f];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], got[i], 5);
    }

    [Fact]
    public void ChannelsStayIndependent()
    {
        var image = new RgbImage(2, 2);
        for (int i = 0; i < 4; i++)
        {
            image.Pixels[i * 3] = 1f;       // red everywhere
            image.Pixels[i * 3 + 2] = i % 2; // blue in the right column
        }
        var one = ImageResize.Resize(image, 1, 1);
        Assert.Equal(1f, one.Pixels[0], 5);
        Assert.Equal(0f, one.Pixels[1], 5);
        Assert.Equal(0.5f, one.Pixels[2], 5);
    }

    [Fact]
    public void ToSquareCropsTheCentreBeforeResizing()
    {
        // 4x2: the outer columns are 9 (must be cropped away), the centre 2x2 is 1, 2 / 3, 4.
        var image = Gray(4, 2,
            9, 1, 2, 9,
            9, 3, 4, 9);
        var crop = ImageResize.CenterCropSquare(image);
        Assert.Equal((2, 2), (crop.Width, crop.Height));
        Assert.Equal([1f, 2f, 3f, 4f], Channel(crop, 0));
        var one = ImageResize.ToSquare(image, 1);
        Assert.Equal(2.5f, one.Pixels[0], 5);

        // Tall image: rows are cropped instead.
        var tall = Gray(1, 3, 9, 5, 9);
        Assert.Equal([5f], Channel(ImageResize.ToSquare(tall, 1), 2));
    }

    [Fact]
    public void SameSizeIsACopy()
    {
        var image = Gray(2, 2, 0.1f, 0.2f, 0.3f, 0.4f);
        var same = ImageResize.Resize(image, 2, 2);
        Assert.NotSame(image.Pixels, same.Pixels);
        Assert.Equal(image.Pixels, same.Pixels);
    }
}
