using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using Parquet;
using Parquet.Schema;
using StbImageWriteSharp;

namespace DiffusionAlign.Tests.Data;

public sealed class PickAPicParquetTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dalign-pickapic-" + Guid.NewGuid().ToString("N"));

    public PickAPicParquetTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Row(string? Caption, byte[]? Jpg0, byte[]? Jpg1, double? Label0, double? Label1);

    private static RgbImage Solid(int width, int height, float r, float g, float b)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < width * height; i++)
            (image.Pixels[i * 3], image.Pixels[i * 3 + 1], image.Pixels[i * 3 + 2]) = (r, g, b);
        return image;
    }

    private static byte[] Png(float r, float g, float b) => ImageCodec.EncodePng(Solid(8, 8, r, g, b));

    private static byte[] Jpeg(byte r, byte g, byte b)
    {
        var data = new byte[8 * 8 * 3];
        for (int i = 0; i < 64; i++) (data[i * 3], data[i * 3 + 1], data[i * 3 + 2]) = (r, g, b);
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(data, 8, 8, ColorComponents.RedGreenBlue, stream, 95);
        return stream.ToArray();
    }

    /// <summary>A 12x8 image: a white 8x8 centre between 2 black columns on each side.</summary>
    private static byte[] WideWhiteCentre()
    {
        var image = Solid(12, 8, 0, 0, 0);
        for (int y = 0; y < 8; y++)
            for (int x = 2; x < 10; x++)
                for (int c = 0; c < 3; c++) image[x, y, c] = 1f;
        return ImageCodec.EncodePng(image);
    }

    /// <summary>
    /// Writes rows as a Pick-a-Pic v2-style parquet file (nullable columns, as pyarrow writes them), one row
    /// group per array.
    /// </summary>
    private static async Task WriteParquet(string path, params Row[][] rowGroups)
    {
        var caption = new DataField<string>("caption", nullable: true);
        var jpg0 = new DataField<byte[]>("jpg_0", nullable: true);
        var jpg1 = new DataField<byte[]>("jpg_1", nullable: true);
        var label0 = new DataField<double?>("label_0");
        var label1 = new DataField<double?>("label_1");
        var schema = new ParquetSchema(caption, jpg0, jpg1, label0, label1);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        foreach (var rows in rowGroups)
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(caption, rows.Select(r => r.Caption).ToArray());
            await group.WriteAsync(jpg0, rows.Select(r => r.Jpg0).ToArray());
            await group.WriteAsync(jpg1, rows.Select(r => r.Jpg1).ToArray());
            await group.WriteAsync<double>(label0, rows.Select(r => r.Label0).ToArray().AsMemory());
            await group.WriteAsync<double>(label1, rows.Select(r => r.Label1).ToArray().AsMemory());
        }
    }

    private async Task<string> WriteSample()
    {
        string path = Path.Combine(_dir, "train-0.parquet");
        await WriteParquet(path,
        [
            new("red wins", Png(1, 0, 0), Png(0, 0, 1), 1, 0),
            new("blue wins", Jpeg(255, 0, 0), Jpeg(0, 0, 255), 0, 1),
            new("a tie", Png(1, 0, 0), Png(0, 0, 1), 0.5, 0.5),
        ],
        [
            new("garbage", [1, 2, 3, 4, 5], Png(0, 0, 1), 1, 0),
            new(null, Png(1, 0, 0), Png(0, 0, 1), 1, 0),
            new("odd label", Png(1, 0, 0), Png(0, 0, 1), 0.3, 0.7),
            new("wide", WideWhiteCentre(), Png(0, 0, 1), 1, 0),
        ]);
        return path;
    }

    [Fact]
    public async Task StreamingGivesTheSamePairsAndReportAsReadingWhole()
    {
        string path = await WriteSample();
        var (data, report) = PickAPicParquet.Read(path, resizeTo: 4);
        LoadReport? streamed = null;
        var pairs = PickAPicParquet.Stream(path, 4, r => streamed = r).ToList();

        Assert.Equal(data.Select(p => p.Prompt), pairs.Select(p => p.Prompt));
        Assert.Equal(data.Select(p => p.Winner.Pixels), pairs.Select(p => p.Winner.Pixels));
        Assert.Equal(report.ToString(), streamed!.ToString());
        Assert.Contains("undecodable image", streamed.ToString());
    }

    [Fact]
    public async Task ReadsPairsDropsTiesAndSkipsBadRows()
    {
        string path = await WriteSample();
        var (data, report) = PickAPicParquet.Read(path, resizeTo: 4);

        Assert.Equal(["red wins", "blue wins", "wide"], data.Select(p => p.Prompt));
        Assert.Equal(7, report.RowsRead);
        Assert.Equal(3, report.PairsKept);
        Assert.Equal(1, report.TiesDropped);
        Assert.Equal(3, report.BadRowsSkipped);
        Assert.Equal(1, report.SkipReasons[SkipReason.UndecodableImage]);
        Assert.Equal(1, report.SkipReasons[SkipReason.MissingField]);
        Assert.Equal(1, report.SkipReasons[SkipReason.BadLabel]);
        Assert.Contains("train-0.parquet row 3: undecodable image", report.Examples[0]);

        Assert.All(data, p => Assert.Equal((4, 4, 4, 4),
            (p.Winner.Width, p.Winner.Height, p.Loser.Width, p.Loser.Height)));
        Assert.All(data, p => Assert.Null(p.PWinner));
        // label_0 = 1: jpg_0 (red) wins.
        Assert.Equal([1f, 0f, 0f], data[0].Winner.Pixels[..3]);
        Assert.Equal([0f, 0f, 1f], data[0].Loser.Pixels[..3]);
        // label_1 = 1: jpg_1 (blue JPEG) wins.
        Assert.True(data[1].Winner.Pixels[2] > 0.9f && data[1].Winner.Pixels[0] < 0.1f,
            "winner should be the blue jpg_1");
        Assert.True(data[1].Loser.Pixels[0] > 0.9f && data[1].Loser.Pixels[2] < 0.1f, "loser should be the red jpg_0");
        // Center crop drops the black side columns: all white.
        Assert.All(data[2].Winner.Pixels, v => Assert.Equal(1f, v, 5));
    }

    [Fact]
    public async Task ReadsEveryFileOfADirectoryAndHonoursMaxPairs()
    {
        await WriteSample();
        await WriteParquet(Path.Combine(_dir, "train-1.parquet"),
            [new Row("second file", Png(0, 1, 0), Png(1, 1, 1), 0, 1)]);
        File.WriteAllText(Path.Combine(_dir, "README.md"), "not data");

        var (all, report) = PickAPicParquet.Read(_dir, resizeTo: 2);
        Assert.Equal(["red wins", "blue wins", "wide", "second file"], all.Select(p => p.Prompt));
        Assert.Equal(8, report.RowsRead);
        Assert.Equal([1f, 1f, 1f], all[3].Winner.Pixels[..3]);

        var (two, limited) = PickAPicParquet.Read(_dir, resizeTo: 2, maxPairs: 2);
        Assert.Equal(["red wins", "blue wins"], two.Select(p => p.Prompt));
        Assert.Equal((2, 2), (limited.RowsRead, limited.PairsKept));
    }

    [Fact]
    public async Task NonNullableFloatLabelsAreRead()
    {
        // Writers other than pyarrow may store labels as required float32; the label meaning is the same.
        string path = Path.Combine(_dir, "float-labels.parquet");
        var caption = new DataField<string>("caption");
        var jpg0 = new DataField<byte[]>("jpg_0");
        var jpg1 = new DataField<byte[]>("jpg_1");
        var label0 = new DataField<float>("label_0");
        var label1 = new DataField<float>("label_1");
        await using (var stream = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(
                new ParquetSchema(caption, jpg0, jpg1, label0, label1), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(caption, new[] { "green wins", "tie" });
            await group.WriteAsync(jpg0, new[] { Png(1, 0, 0), Png(1, 0, 0) });
            await group.WriteAsync(jpg1, new[] { Png(0, 1, 0), Png(0, 1, 0) });
            await group.WriteAsync<float>(label0, new float[] { 0, 0.5f }.AsMemory());
            await group.WriteAsync<float>(label1, new float[] { 1, 0.5f }.AsMemory());
        }

        var (data, report) = PickAPicParquet.Read(path, resizeTo: 2);
        Assert.Equal((2, 1, 1), (report.RowsRead, report.PairsKept, report.TiesDropped));
        Assert.Equal([0f, 1f, 0f], data[0].Winner.Pixels[..3]);
    }

    [Fact]
    public void NotAParquetFileIsAUserError()
    {
        string path = Path.Combine(_dir, "fake.parquet");
        File.WriteAllText(path, "caption,jpg_0,jpg_1\nhello,world,!\n");
        var e = Assert.Throws<DiffusionAlignException>(() => PickAPicParquet.Read(path, 4));
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task MissingColumnOrPathOrPairsIsAUserError()
    {
        string path = Path.Combine(_dir, "captions.parquet");
        var caption = new DataField<string>("caption");
        await using (var stream = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(caption), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(caption, new[] { "a cat" });
        }
        var e = Assert.Throws<DiffusionAlignException>(() => PickAPicParquet.Read(path, 4));
        Assert.Contains("jpg_0", e.Message);

        Assert.Throws<DiffusionAlignException>(() => PickAPicParquet.Read(Path.Combine(_dir, "absent.parquet"), 4));

        string ties = Path.Combine(_dir, "ties.parquet");
        await WriteParquet(ties, [new Row("tie", Png(1, 0, 0), Png(0, 0, 1), 0.5, 0.5)]);
        var noPairs = Assert.Throws<DiffusionAlignException>(() => PickAPicParquet.Read(ties, 4));
        Assert.Contains("1 ties dropped", noPairs.Message);
    }
}
