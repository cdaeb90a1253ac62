using StbImageSharp;
using StbImageWriteSharp;

namespace DiffusionAlign.Imaging;

/// <summary>Decodes PNG/JPEG/BMP bytes into <see cref="RgbImage"/> and encodes PNG, via the stb ports.</summary>
public static class ImageCodec
{
    /// <summary>Decodes an image file's bytes (PNG, JPEG, BMP, ...), dropping alpha.</summary>
    /// <exception cref="DiffusionAlignException">The bytes are not a decodable image.</exception>
    public static RgbImage Decode(byte[] bytes, string what = "image")
    {
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(bytes, StbImageSharp.ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException
            or NullReferenceException)
        {
            throw new DiffusionAlignException($"{what} is not a decodable image ({e.Message})");
        }
        if (result is null || result.Data is null || result.Width <= 0 || result.Height <= 0)
            throw new DiffusionAlignException($"{what} is not a decodable image");
        var pixels = new float[result.Width * result.Height * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = result.Data[i] / 255f;
        return new RgbImage(result.Width, result.Height, pixels);
    }

    /// <summary>Reads and decodes an image file.</summary>
    public static RgbImage Load(string path)
    {
        if (!File.Exists(path)) throw new DiffusionAlignException($"image file not found: {path}");
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Encodes as 8-bit RGB PNG (values clamped to [0, 1] and rounded).</summary>
    public static byte[] EncodePng(RgbImage image)
    {
        var bytes = new byte[image.Pixels.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Round(Math.Clamp(image.Pixels[i], 0f, 1f) * 255f);
        using var stream = new MemoryStream();
        new ImageWriter().WritePng(
            bytes, image.Width, image.Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream);
        return stream.ToArray();
    }

    /// <summary>Writes a PNG file, creating its folder if needed.</summary>
    public static void SavePng(RgbImage image, string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, EncodePng(image));
    }
}
