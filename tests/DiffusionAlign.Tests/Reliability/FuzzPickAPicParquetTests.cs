using System.Buffers.Binary;
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using Parquet;
using Parquet.Schema;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Damaged Pick-a-Pic parquet shards: reading one keeps the good rows and skips each bad one under a reason naming
/// its row, or fails with a <see cref="DiffusionAlignException"/> naming the file. The parquet reader is a
/// third-party parser, so a row count or length claimed by damaged metadata must not size an allocation.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzPickAPicParquetTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Png(int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(8, 8);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (float)rng.NextDouble();
        return ImageCodec.EncodePng(image);
    }

    /// <summary>A shard as pyarrow writes Pick-a-Pic: nullable columns, here two row groups with a tie.</summary>
    private static async Task<byte[]> ValidShard()
    {
        var caption = new DataField<string>("caption", nullable: true);
        var jpg0 = new DataField<byte[]>("jpg_0", nullable: true);
        var jpg1 = new DataField<byte[]>("jpg_1", nullable: true);
        var label0 = new DataField<double?>("label_0");
        var label1 = new DataField<double?>("label_1");
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(
            new ParquetSchema(caption, jpg0, jpg1, label0, label1), stream))
        {
            for (int group = 0; group < 2; group++)
            {
                using var rows = writer.CreateRowGroup();
                await rows.WriteAsync(caption, new[] { $"red {group}", $"blue {group}", "a tie" });
                await rows.WriteAsync(jpg0, new[] { Png(group), Png(group + 10), Png(group + 20) });
                await rows.WriteAsync(jpg1, new[] { Png(group + 30), Png(group + 40), Png(group + 50) });
                await rows.WriteAsync<double>(label0, new double?[] { 1, 0, 0.5 }.AsMemory());
                await rows.WriteAsync<double>(label1, new double?[] { 0, 1, 0.5 }.AsMemory());
            }
        }
        return stream.ToArray();
    }

    [Fact]
    public async Task DamagedShardsKeepTheGoodRowsOrFailNamingTheFile()
    {
        byte[] valid = await ValidShard();
        // The footer (thrift metadata, its length, the magic) and the first page headers hold every count and size.
        int footer = BinaryPrimitives.ReadInt32LittleEndian(valid.AsSpan(valid.Length - 8)) + 8;
        (int, int)[] hot = [(valid.Length - footer, footer), (0, 64)];
        string path = Path.Combine(_dir.Path, "train-0.parquet");
        var target = new FuzzTarget
        {
            Format = "pickapic-parquet",
            Warmup = () =>
            {
                File.WriteAllBytes(path, valid);
                PickAPicParquet.Read(path, resizeTo: 8);
            },
            Prepare = (_, rng) =>
            {
                byte[] bytes = FuzzBytes.Mutate(valid, rng, out string description, hot);
                File.WriteAllBytes(path, bytes);
                return new FuzzInput(description, bytes.Length, path);
            },
            Call = _ => PickAPicParquet.Read(path, resizeTo: 8),
            CheckSuccess = (_, result) =>
            {
                var (data, report) = ((PreferenceDataset, LoadReport))result!;
                if (data.Count != report.PairsKept) return $"{data.Count} pairs but {report.PairsKept} kept";
                return report.Examples.FirstOrDefault(e => !e.Contains(" row ", StringComparison.Ordinal))
                    is string example ? $"a skipped row's example names no row: {example}" : null;
            },
        };
        var tally = FuzzHarness.Run(target, FuzzSettings.Cases(1000), output);
        FuzzHarness.AssertHeld(tally);
    }
}
