using DiffusionAlign.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Imaging;

public sealed class ImageTensorsTests
{
    [Fact]
    public void ToTensorMapsUnitRangeToSymmetricRangeInChwOrder()
    {
        // 2x1 image: pixel (0,0) = (0, 0.5, 1), pixel (1,0) = (0.25, 0.75, 1).
        var image = new RgbImage(2, 1, [0f, 0.5f, 1f, 0.25f, 0.75f, 1f]);
        var second = new RgbImage(2, 1, [1f, 1f, 1f, 0f, 0f, 0f]);
        using var batch = ImageTensors.ToTensor([image, second]);
        Assert.Equal(new long[] { 2, 3, 1, 2 }, batch.shape);
        Assert.Equal(ScalarType.Float32, batch.dtype);
        // Channel planes: R = (−1, −0.5), G = (0, 0.5), B = (1, 1); then the second image.
        Assert.Equal(new[] { -1f, -0.5f, 0f, 0.5f, 1f, 1f, 1f, -1f, 1f, -1f, 1f, -1f }, batch.data<float>().ToArray());
    }

    [Fact]
    public void ToImagesInvertsAndClamps()
    {
        using var batch = tensor(new float[] { -1f, 3f, 0f, 0.5f, float.NaN, -7f }, [1, 3, 1, 2]);
        var images = ImageTensors.ToImages(batch);
        var image = Assert.Single(images);
        Assert.Equal(2, image.Width);
        Assert.Equal(1, image.Height);
        // Pixel 0: (R, G, B) = ((−1+1)/2, (0+1)/2, NaN→0); pixel 1: (3 → clamp 1, 0.75, −7 → clamp 0).
        Assert.Equal(new[] { 0f, 0.5f, 0f, 1f, 0.75f, 0f }, image.Pixels);
    }

    [Fact]
    public void RoundTripPreservesImages()
    {
        var rng = new Random(3);
        var images = Enumerable.Range(0, 3).Select(_ =>
            new RgbImage(5, 4, Enumerable.Range(0, 60).Select(_ => (float)rng.NextDouble()).ToArray())).ToArray();
        using var batch = ImageTensors.ToTensor(images);
        using var asDouble = batch.to_type(ScalarType.Float64);
        var back = ImageTensors.ToImages(asDouble);
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 60; i++)
                Assert.Equal(images[n].Pixels[i], back[n].Pixels[i], 6);
    }

    [Fact]
    public void ShapeErrors()
    {
        Assert.Throws<ArgumentException>(() => ImageTensors.ToTensor([]));
        Assert.Throws<ArgumentException>(() => ImageTensors.ToTensor([new RgbImage(2, 2), new RgbImage(2, 3)]));
        using var threeD = zeros(3, 4, 4);
        using var fourChannels = zeros(1, 4, 4, 4);
        using var emptyBatch = zeros(0, 3, 4, 4);
        Assert.Throws<ArgumentException>(() => ImageTensors.ToImages(threeD));
        Assert.Throws<ArgumentException>(() => ImageTensors.ToImages(fourChannels));
        Assert.Throws<ArgumentException>(() => ImageTensors.ToImages(emptyBatch));
    }
}
