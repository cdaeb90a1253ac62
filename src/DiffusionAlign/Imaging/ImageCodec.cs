using SkiaSharp;
using StbImageWriteSharp;

namespace DiffusionAlign.Imaging;

/// <summary>
/// Decodes PNG/JPEG/BMP/GIF/WebP bytes into <see cref="RgbImage"/> and encodes PNG.
/// </summary>
/// <remarks>
/// Decoded bytes come from users and downloads (pairs folders, parquet shards), so decoding goes through Skia's
/// codecs (libpng, libjpeg-turbo), which say when a file is cut off or corrupt. The stb port used before loops
/// forever on a JPEG cut off inside its first segment and returns a grey image for one cut off in its tables
/// or scan; a wrong image is worse than a skipped pair. Skia's codecs leave pixels as stored (no colour
/// management, no EXIF rotation), as stb did, so valid PNGs decode identically and JPEGs within a few levels.
/// Encoding our own images is trusted and stays with the stb writer.
/// </remarks>
public static class ImageCodec
{
    /// <summary>Longest side <see cref="Decode"/> accepts; a larger one is refused before allocating.</summary>
    public const int MaxSide = 16384;

    /// <summary>
    /// Most pixels <see cref="Decode"/> accepts (8192 x 8192): about 1 GB between the decoded bytes and the float
    /// image, far above any training image, and small enough that a tiny file declaring a huge size cannot
    /// exhaust memory.
    /// </summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>
    /// Most JPEG scans accepted. Encoders write about ten for a progressive file; each scan is another pass over
    /// the image, so a small file with thousands of them would keep the decoder busy for no picture.
    /// </summary>
    private const int MaxJpegScans = 256;

    private static readonly SKEncodedImageFormat[] Formats =
        [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif,
            SKEncodedImageFormat.Webp];

    /// <summary>Decodes an image file's bytes (PNG, JPEG, BMP, GIF or WebP; the first frame), dropping alpha.</summary>
    /// <exception cref="DiffusionAlignException">
    /// The bytes are not a complete, decodable image, or declare more than <see cref="MaxSide"/> per side or
    /// <see cref="MaxPixels"/> pixels.
    /// </exception>
    public static RgbImage Decode(byte[] bytes, string what = "image")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0) throw new DiffusionAlignException($"{what} is empty, not an image");
        if (EncodedImageLayout.IsPng(bytes) && !EncodedImageLayout.PngReachesEnd(bytes))
            throw new DiffusionAlignException($"{what} is a cut-off or corrupt PNG (its chunks end before IEND)");
        if (EncodedImageLayout.IsJpeg(bytes) && EncodedImageLayout.JpegScanCount(bytes) > MaxJpegScans)
            throw new DiffusionAlignException($"{what} is a JPEG with more than {MaxJpegScans} scans; refusing it");

        // A native copy: Skia must not read the managed array after it is unpinned. The stream holds its own
        // reference to the copy, and the codec owns the stream, freeing it with itself (or at once on failure).
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var opened);
        if (codec is null) throw Failure(what, opened);
        if (Array.IndexOf(Formats, codec.EncodedFormat) < 0)
            throw new DiffusionAlignException(
                $"{what} is a {codec.EncodedFormat} image; expected PNG, JPEG, BMP, GIF or WebP");
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0) throw new DiffusionAlignException($"{what} declares no pixels");
        if (width > MaxSide || height > MaxSide || (long)width * height > MaxPixels)
            throw new DiffusionAlignException(
                $"{what} declares {width}x{height} pixels, more than the {MaxSide}-pixel side or "
                + $"{MaxPixels}-pixel limit; refusing to decode it");

        // No colour space: pixels as stored, like the stb decoder; unpremultiplied so dropping alpha keeps colour.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        var decoded = codec.GetPixels(info, rgba);
        // Anything but Success (notably IncompleteInput) leaves rows unwritten: a partial image is an error.
        if (decoded != SKCodecResult.Success) throw Failure(what, decoded);

        var pixels = new float[width * height * 3];
        for (int i = 0, j = 0; i < pixels.Length; i += 3, j += 4)
        {
            pixels[i] = rgba[j] / 255f;
            pixels[i + 1] = rgba[j + 1] / 255f;
            pixels[i + 2] = rgba[j + 2] / 255f;
        }
        return new RgbImage(width, height, pixels);
    }

    private static DiffusionAlignException Failure(string what, SKCodecResult result) => new(result switch
    {
        SKCodecResult.IncompleteInput => $"{what} is cut off (its image data ends early)",
        SKCodecResult.ErrorInInput or SKCodecResult.InvalidInput => $"{what} is corrupt (its image data is invalid)",
        SKCodecResult.Unimplemented => $"{what} is not a PNG, JPEG, BMP, GIF or WebP image",
        _ => $"{what} is not a decodable image ({result})",
    });

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
