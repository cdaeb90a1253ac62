using System.Buffers.Binary;
using System.Diagnostics;
using DiffusionAlign.Imaging;
using StbImageWriteSharp;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Imaging;

/// <summary>
/// Cut-off and corrupted PNG/JPEG bytes, as a half-copied pairs folder or a damaged parquet shard holds them:
/// decoding must refuse them by name, never hang and never hand back a partial image.
/// </summary>
public sealed class ImageTruncationTests(ITestOutputHelper output)
{
    private const int Width = 40, Height = 24;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Gradients plus a hashed texture, so the JPEG has real entropy-coded data in every block.</summary>
    private static byte[] Rgb()
    {
        var rgb = new byte[Width * Height * 3];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int i = (y * Width + x) * 3;
                rgb[i] = (byte)(x * 6);
                rgb[i + 1] = (byte)(y * 10);
                rgb[i + 2] = (byte)((uint)(x * 37 + y * 91) * 2654435761u >> 24);
            }
        return rgb;
    }

    private static RgbImage Image(byte[] rgb) => new(Width, Height, rgb.Select(v => v / 255f).ToArray());

    private static byte[] Jpeg(byte[] rgb, int quality)
    {
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(rgb, Width, Height, ColorComponents.RedGreenBlue, stream, quality);
        return stream.ToArray();
    }

    private static byte[] Png(byte[] rgb) => ImageCodec.EncodePng(Image(rgb));

    private sealed record Outcome(string What, Exception? Error, RgbImage? Image);

    /// <summary>
    /// Decodes each input in turn on one background thread, recording what it threw or returned; a single
    /// decode still running after the timeout fails the test as a hang (and its thread is left behind).
    /// </summary>
    private static Outcome[] DecodeAll(IReadOnlyList<(byte[] Bytes, string What)> inputs)
    {
        var outcomes = new Outcome[inputs.Count];
        int finished = 0;
        var worker = new Thread(() =>
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                var (bytes, what) = inputs[i];
                try
                {
                    outcomes[i] = new(what, null, ImageCodec.Decode(bytes, what));
                }
                catch (Exception e)
                {
                    outcomes[i] = new(what, e, null);
                }
                Volatile.Write(ref finished, i + 1);
            }
        }) { IsBackground = true };
        worker.Start();
        // One thread for the batch rather than a task per decode: on a busy CI machine, starting a thread or
        // waiting for a pool thread per decode costs more than the decode.
        int seen = 0;
        var sinceProgress = Stopwatch.StartNew();
        while (!worker.Join(20))
        {
            int now = Volatile.Read(ref finished);
            if (now != seen)
            {
                seen = now;
                sinceProgress.Restart();
            }
            else if (sinceProgress.Elapsed > Timeout)
                Assert.Fail($"decoding {inputs[seen].What} did not finish within {Timeout.TotalSeconds} s");
        }
        return outcomes;
    }

    private static Outcome Decode(byte[] bytes, string what) => DecodeAll([(bytes, what)])[0];

    private void AssertEveryTruncationIsRefused(byte[] bytes, string format)
    {
        var clock = Stopwatch.StartNew();
        var cuts = Enumerable.Range(0, bytes.Length).Select(n => (bytes[..n], $"cut-{n}.{format}")).ToList();
        foreach (var (what, error, image) in DecodeAll(cuts))
        {
            Assert.True(image is null, $"{what} (of {bytes.Length}) decoded to a {image?.Width}x{image?.Height} image");
            Assert.Contains(what, Assert.IsType<DiffusionAlignException>(error).Message);
        }
        output.WriteLine($"{format}: {bytes.Length} truncations refused in {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void EveryTruncationOfAJpegIsRefused() => AssertEveryTruncationIsRefused(Jpeg(Rgb(), 80), "jpg");

    [Fact]
    public void EveryTruncationOfAPngIsRefused() => AssertEveryTruncationIsRefused(Png(Rgb()), "png");

    [Fact]
    public void AJpegCutOffInsideItsFirstSegmentIsRefusedNotLoopedOn()
    {
        // 12 bytes end inside the JFIF APP0 segment, where the previous decoder spun forever.
        var error = Decode(Jpeg(Rgb(), 80)[..12], "images/000001_w.jpg").Error;
        Assert.Contains("images/000001_w.jpg", Assert.IsType<DiffusionAlignException>(error).Message);
    }

    /// <summary>End of the header that fixes the image size: JPEG's SOF0 segment, PNG's IHDR chunk.</summary>
    private static int HeaderEnd(byte[] bytes, string format)
    {
        if (format == "png") return 8 + 8 + 13 + 4;
        int sof = IndexOf(bytes, 0xFF, 0xC0);
        return sof + 2 + (bytes[sof + 2] << 8 | bytes[sof + 3]);
    }

    private static int IndexOf(byte[] bytes, byte first, byte second)
    {
        for (int i = 0; i + 1 < bytes.Length; i++)
            if (bytes[i] == first && bytes[i + 1] == second) return i;
        throw new InvalidOperationException($"no {first:X2} {second:X2} in the encoded test image");
    }

    [Theory]
    [InlineData("jpg")]
    [InlineData("png")]
    public void CorruptedBytesGiveARefusalOrAnImageOfTheDeclaredSize(string format)
    {
        byte[] original = format == "png" ? Png(Rgb()) : Jpeg(Rgb(), 80);
        int headerEnd = HeaderEnd(original, format);
        var random = new Random(20_24);
        var corrupted = new List<(byte[] Bytes, string What)>();
        var sizeKept = new List<bool>();
        for (int trial = 0; trial < 400; trial++)
        {
            var bytes = (byte[])original.Clone();
            bool afterHeader = true;
            for (int flips = 1 + random.Next(3); flips > 0; flips--)
            {
                int at = random.Next(bytes.Length);
                bytes[at] ^= (byte)(1 + random.Next(255));
                afterHeader &= at >= headerEnd;
            }
            corrupted.Add((bytes, $"flipped-{trial}.{format}"));
            sizeKept.Add(afterHeader);
        }
        int refused = 0, decoded = 0;
        var clock = Stopwatch.StartNew();
        foreach (var ((what, error, image), kept) in DecodeAll(corrupted).Zip(sizeKept))
        {
            if (error is not null)
            {
                Assert.Contains(what, Assert.IsType<DiffusionAlignException>(error).Message);
                refused++;
                continue;
            }
            decoded++;
            Assert.NotNull(image);
            if (kept) Assert.Equal((Width, Height), (image.Width, image.Height));
            Assert.True(image.Pixels.All(v => v is >= 0f and <= 1f), $"{what} has values outside [0, 1]");
        }
        output.WriteLine($"{format}: {refused} refused, {decoded} decoded in {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void AValidPngDecodesToExactlyItsPixels()
    {
        byte[] rgb = Rgb();
        var image = ImageCodec.Decode(Png(rgb), "valid.png");
        Assert.Equal((Width, Height), (image.Width, image.Height));
        Assert.Equal(rgb.Select(v => v / 255f), image.Pixels);
    }

    [Fact]
    public void AValidJpegOfFlatBlocksDecodesWithinTwoLevels()
    {
        // One colour per 8x8 block: at quality 95 (no chroma subsampling) each block keeps only its DC
        // coefficient, so the decode is exact up to colour-conversion rounding.
        var rgb = new byte[Width * Height * 3];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int i = (y * Width + x) * 3, block = y / 8 * (Width / 8) + x / 8;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = ((byte)(block * 17), (byte)(255 - block * 13), (byte)(block * 71));
            }
        var image = ImageCodec.Decode(Jpeg(rgb, 95), "valid.jpg");
        Assert.Equal((Width, Height), (image.Width, image.Height));
        float worst = rgb.Select((v, i) => Math.Abs(v - image.Pixels[i] * 255f)).Max();
        Assert.True(worst <= 2.01f, $"a pixel is {worst:F1} levels off");
    }

    [Fact]
    public void AValidJpegDecodesCloseToItsSource()
    {
        byte[] rgb = Rgb();
        var image = ImageCodec.Decode(Jpeg(rgb, 95), "valid.jpg");
        double meanError = rgb.Select((v, i) => Math.Abs(v - image.Pixels[i] * 255.0)).Average();
        Assert.True(meanError < 6, $"mean error {meanError:F2} levels");
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>A valid small PNG whose IHDR (checksum fixed up) declares another size.</summary>
    private static byte[] PngDeclaring(int width, int height)
    {
        var bytes = Png(Rgb());
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    [Theory]
    [InlineData(20000, 16)] // one side too long
    [InlineData(9000, 9000)] // sides fine, 81 million pixels too many
    public void APngDeclaringAHugeSizeIsRefusedBeforeDecoding(int width, int height)
    {
        var error = Decode(PngDeclaring(width, height), "bomb.png").Error;
        var refusal = Assert.IsType<DiffusionAlignException>(error);
        Assert.Contains("bomb.png", refusal.Message);
        Assert.Contains($"{width}x{height}", refusal.Message);
    }

    [Fact]
    public void AJpegDeclaringAHugeSizeIsRefusedBeforeDecoding()
    {
        var bytes = Jpeg(Rgb(), 80);
        int sof = IndexOf(bytes, 0xFF, 0xC0);
        // SOF0: marker, length (2), precision (1), height (2), width (2).
        (bytes[sof + 5], bytes[sof + 6], bytes[sof + 7], bytes[sof + 8]) = (0xFF, 0x00, 0xFF, 0x00);
        var error = Decode(bytes, "bomb.jpg").Error;
        Assert.Contains("65280x65280", Assert.IsType<DiffusionAlignException>(error).Message);
    }

    [Fact]
    public void AJpegWithThousandsOfScansIsRefused()
    {
        var bytes = Jpeg(Rgb(), 80);
        int sos = IndexOf(bytes, 0xFF, 0xDA), end = bytes.Length - 2;
        // The one scan (SOS segment plus its data), repeated: each scan is another pass for the decoder.
        var scan = bytes[sos..end];
        var many = bytes[..sos].Concat(Enumerable.Repeat(scan, 2000).SelectMany(s => s)).Concat(bytes[end..]);
        var error = Decode(many.ToArray(), "scans.jpg").Error;
        Assert.Contains("more than 256 scans", Assert.IsType<DiffusionAlignException>(error).Message);
    }

    [Fact]
    public void EmptyBytesAreRefused()
    {
        var error = Decode([], "empty.png").Error;
        Assert.Contains("empty.png", Assert.IsType<DiffusionAlignException>(error).Message);
    }
}
