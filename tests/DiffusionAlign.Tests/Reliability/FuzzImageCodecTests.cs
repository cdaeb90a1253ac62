using System.Buffers.Binary;
using DiffusionAlign.Imaging;
using SkiaSharp;
using StbImageWriteSharp;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// A light pass over damaged PNG, JPEG, BMP and WebP bytes (truncation and corruption of PNG and JPEG are covered
/// at length by the imaging tests): decoding gives an image or a <see cref="DiffusionAlignException"/> naming the
/// image, and no header buys buffers beyond the decoder's pixel limit.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzImageCodecTests(ITestOutputHelper output)
{
    private const int Side = 8;

    private static byte[] Rgb()
    {
        var rgb = new byte[Side * Side * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 37 % 251);
        return rgb;
    }

    private static byte[] Jpeg()
    {
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(Rgb(), Side, Side, ColorComponents.RedGreenBlue, stream, 90);
        return stream.ToArray();
    }

    private static byte[] Webp()
    {
        using var bitmap = new SKBitmap(Side, Side);
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++) bitmap.SetPixel(x, y, new SKColor((byte)(x * 30), (byte)(y * 30), 90));
        using var data = bitmap.Encode(SKEncodedImageFormat.Webp, 90);
        return data.ToArray();
    }

    /// <summary>A 24-bit BMP by hand: Skia encodes no BMP, and no checksum in its header stops damage.</summary>
    private static byte[] Bmp()
    {
        const int rowBytes = (Side * 3 + 3) / 4 * 4;
        var bmp = new byte[54 + rowBytes * Side];
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), Side);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), Side);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), rowBytes * Side);
        Rgb().CopyTo(bmp, 54);
        return bmp;
    }

    [Fact]
    public void DamagedImagesDecodeOrFailNamingTheImage()
    {
        var seeds = new (string Name, byte[] Bytes, int HeaderBytes)[]
        {
            ("png", ImageCodec.EncodePng(new RgbImage(Side, Side, Rgb().Select(v => v / 255f).ToArray())), 33),
            ("jpg", Jpeg(), 200),
            ("bmp", Bmp(), 54),
            ("webp", Webp(), 30),
        };
        byte[] current = [];
        var target = new FuzzTarget
        {
            Format = "image",
            Warmup = () =>
            {
                foreach (var (name, bytes, _) in seeds) ImageCodec.Decode(bytes, name);
            },
            Prepare = (i, rng) =>
            {
                var (name, bytes, header) = seeds[i % seeds.Length];
                byte[] damaged = FuzzBytes.Mutate(bytes, rng, out string description, [(0, header)]);
                current = damaged;
                return new FuzzInput(description, damaged.Length, $"images/case-{i}.{name}");
            },
            Call = input => ImageCodec.Decode(current, input.Path),
            // WebP and PNG can hold a large flat image in a few bytes, so the buffers a header may buy are bounded by
            // the decoder's documented pixel limit (RGBA bytes plus float pixels), not by the file's size.
            AllocationBound = bytes => 64 * bytes + ImageCodec.MaxPixels * (4 + 12) + (1 << 20),
            ResidentBound = bytes => 64 * bytes + ImageCodec.MaxPixels * (4 + 12) + (64 << 20),
            CheckSuccess = (_, image) => image is RgbImage { Width: > 0, Height: > 0 } decoded
                && decoded.Pixels.Length == decoded.Width * decoded.Height * 3
                    ? null
                    : "decoded to an empty or inconsistent image",
        };
        var tally = FuzzHarness.Run(target, FuzzSettings.Cases(400), output);
        FuzzHarness.AssertHeld(tally);
    }
}
