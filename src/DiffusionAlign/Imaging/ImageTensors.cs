using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Imaging;

/// <summary>
/// Converts between <see cref="RgbImage"/> (HWC floats in [0, 1]) and the batched tensors diffusion models
/// consume (float32 [N, 3, H, W] in [−1, 1], the range the noise schedule assumes for x0).
/// </summary>
public static class ImageTensors
{
    /// <summary>Stacks same-sized images into a float32 CPU tensor [N, 3, H, W] with v ↦ 2v − 1.</summary>
    /// <exception cref="ArgumentException">The list is empty or the images differ in size.</exception>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images)
    {
        if (images.Count == 0) throw new ArgumentException("need at least one image", nameof(images));
        int width = images[0].Width, height = images[0].Height, plane = width * height;
        var values = new float[images.Count * 3 * plane];
        for (int n = 0; n < images.Count; n++)
        {
            var image = images[n];
            if (image.Width != width || image.Height != height)
                throw new ArgumentException(
                    $"image {n} is {image.Width}x{image.Height} but image 0 is {width}x{height}; "
                    + "a batch needs one size",
                    nameof(images));
            var pixels = image.Pixels;
            int batchOffset = n * 3 * plane;
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++)
                    values[batchOffset + c * plane + p] = pixels[p * 3 + c] * 2f - 1f;
        }
        return tensor(values, [images.Count, 3, height, width], ScalarType.Float32);
    }

    /// <summary>
    /// Splits a [N, 3, H, W] tensor (any float dtype or device) into images with v ↦ (v + 1)/2, clamped to
    /// [0, 1]; NaN becomes 0 so a diverged model still yields viewable output.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not [N, 3, H, W] with N, H, W positive.</exception>
    public static RgbImage[] ToImages(Tensor batch)
    {
        if (batch.dim() != 4 || batch.shape[1] != 3 || batch.shape[0] < 1 || batch.shape[2] < 1 || batch.shape[3] < 1)
            throw new ArgumentException(
                $"expected an image batch [N, 3, H, W], got [{string.Join(", ", batch.shape)}]", nameof(batch));
        int count = (int)batch.shape[0], height = (int)batch.shape[2], width = (int)batch.shape[3],
            plane = width * height;
        float[] values;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            values = batch.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
        }
        var images = new RgbImage[count];
        for (int n = 0; n < count; n++)
        {
            var pixels = new float[plane * 3];
            int batchOffset = n * 3 * plane;
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++)
                {
                    float v = (values[batchOffset + c * plane + p] + 1f) * 0.5f;
                    pixels[p * 3 + c] = float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f);
                }
            images[n] = new RgbImage(width, height, pixels);
        }
        return images;
    }
}
