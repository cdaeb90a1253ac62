using System.Buffers.Binary;
using System.Text;
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;
using Parquet;
using Parquet.Schema;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// The damage fuzzing found readers mishandling, pinned as plain cases so they stay fixed whatever the mutation
/// engine draws: escaped lone surrogates, keys given twice, counts that size arrays or loops, paths to devices.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzFindingsTests : IDisposable
{
    private const string LoneSurrogate = "\\ud800";

    private readonly TestModels.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("{\"x" + LoneSurrogate + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}")]
    [InlineData("{\"x\":{\"dtype\":\"U8" + LoneSurrogate + "\",\"shape\":[1],\"data_offsets\":[0,1]}}")]
    [InlineData("{\"__metadata__\":{\"a\":\"" + LoneSurrogate + "\"},\"x\":{\"dtype\":\"U8\",\"shape\":[1],"
        + "\"data_offsets\":[0,1]}}")]
    public void ASafetensorsHeaderWithALoneSurrogateIsAFormatError(string header)
    {
        string path = Path.Combine(_dir.Path, "model.safetensors");
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + 1];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.ReadHeader(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("not valid Unicode", error.Message);
    }

    public static TheoryData<string, string, string> BrokenConfigs => new()
    {
        // file, config text, what the one-line error must also say
        { "unet.json", FuzzSeeds.UnetConfig.Replace("\"in_channels\": 4,", "\"in_channels\": 4, \"in_channels\": 9,"),
            "in_channels" },
        { "vae.json", FuzzSeeds.VaeConfig.Replace("\"act_fn\": \"silu\"", "\"act_fn\": \"silu" + LoneSurrogate + "\""),
            "not valid Unicode" },
        { "clip.json", FuzzSeeds.ClipConfig.Replace("\"hidden_act\": \"quick_gelu\",", "\"hidden_act\": \"x\n"),
            "not valid JSON" },
        { "scheduler.json",
            FuzzSeeds.SchedulerConfig.Replace("\"steps_offset\": 1,", "\"steps_offset\": 1, \"steps_offset\": 2,"),
            "steps_offset" },
        { "scheduler.json", FuzzSeeds.SchedulerConfig.Replace("\"leading\"", "\"leading" + LoneSurrogate + "\""),
            "timestep_spacing" },
        { "scheduler.json",
            FuzzSeeds.SchedulerConfig.Replace("\"num_train_timesteps\": 1000", "\"num_train_timesteps\": 2147483647"),
            "num_train_timesteps" },
        { "scheduler.json", FuzzSeeds.SchedulerConfig.Replace("\"scaled_linear\"", "7"), "beta_schedule" },
    };

    [Theory]
    [MemberData(nameof(BrokenConfigs))]
    public void ABrokenConfigIsOneErrorLineNamingTheFileAndTheProblem(string file, string text, string problem)
    {
        string path = Write(file, text);
        Func<string, object> load = file switch
        {
            "unet.json" => p => UNet2DConditionConfig.Load(p),
            "vae.json" => p => AutoencoderKLConfig.Load(p),
            "clip.json" => p => ClipTextConfig.Load(p),
            _ => p => NoiseScheduleConfig.Load(p),
        };
        var error = Assert.ThrowsAny<DiffusionAlignException>(() => load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("tokenizer_config.json", "{\"model_max_length\": 0}", "model_max_length")]
    [InlineData("tokenizer_config.json", "{\"model_max_length\": 2147483647}", "model_max_length")]
    [InlineData("tokenizer_config.json", "{\"model_max_length\": \"77\"}", "model_max_length")]
    [InlineData("vocab.json", "{\"a\": 0}", "lacks")]
    [InlineData("vocab.json", "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1, \"a\": -3}", "negative id")]
    [InlineData("vocab.json", "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1, \"<|endoftext|>\": 2}", "token")]
    public void ADamagedTokenizerFileIsOneErrorLineNamingIt(string file, string text, string problem)
    {
        string folder = Path.Combine(_dir.Path, "tokenizer");
        Write("tokenizer/vocab.json", "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1}");
        Write("tokenizer/merges.txt", "#version: 0.2\n");
        string path = Write($"tokenizer/{file}", text);
        var error = Assert.ThrowsAny<DiffusionAlignException>(
            () => DiffusionAlign.Text.ClipTokenizer.FromFolder(folder));
        Assert.Contains(path, error.Message);
        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void TransformersNoLimitLengthKeepsClipsSeventySeven()
    {
        string folder = Path.Combine(_dir.Path, "tokenizer");
        Write("tokenizer/vocab.json", "{\"<|startoftext|>\": 0, \"<|endoftext|>\": 1}");
        Write("tokenizer/merges.txt", "#version: 0.2\n");
        Write("tokenizer/tokenizer_config.json", "{\"model_max_length\": 1000000000000000019884624838656}");
        Assert.Equal(77, DiffusionAlign.Text.ClipTokenizer.FromFolder(folder).MaxLength);
    }

    [Fact]
    public void AShardIndexMappingANameTwiceIsRefused()
    {
        Write("text_encoder/model.safetensors.index.json",
            "{\"weight_map\": {\"a\": \"model-1.safetensors\", \"a\": \"model-2.safetensors\"}}");
        var error = Assert.ThrowsAny<DiffusionAlignException>(
            () => DiffusersWeights.Read(Path.Combine(_dir.Path, "text_encoder"), "model"));
        Assert.Contains("model.safetensors.index.json", error.Message);
    }

    [Fact]
    public async Task PairsRowsNamingADeviceOrHoldingALoneSurrogateAreSkippedWithTheirLine()
    {
        string folder = Path.Combine(_dir.Path, "pairs");
        var image = new RgbImage(4, 4);
        PairsFolder.Write(folder, [new PreferencePair("kept", image, image)]);
        string jsonl = Path.Combine(folder, PairsFolder.PairsFileName);
        File.AppendAllText(jsonl, """
            {"prompt":"endless","winner":"/dev/zero","loser":"images/000001_l.png"}
            {"prompt":"bad text LONE","winner":"images/000001_w.png","loser":"images/000001_l.png"}

            """.Replace("LONE", LoneSurrogate));
        // A timeout here means the row naming /dev/zero is being read to its (absent) end.
        var (data, report) = await Task.Run(() => PairsFolder.Read(folder)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(data);
        Assert.Equal(2, report.BadRowsSkipped);
        Assert.Contains(report.Examples, e => e.StartsWith("line 2:", StringComparison.Ordinal));
        Assert.Contains(report.Examples, e => e.StartsWith("line 3:", StringComparison.Ordinal));
    }

    /// <summary>
    /// A Pick-a-Pic shard whose footer claims 2^32 - 1 row groups, which the parquet reader would loop over for
    /// hours, or a column of 2^55 values, which would size arrays before the file is found too short.
    /// </summary>
    [Theory]
    [InlineData("row groups")]
    [InlineData("column values")]
    public async Task AParquetFooterWithAbsurdCountsIsRefusedAtOnce(string damage)
    {
        byte[] shard = await Shard();
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(shard.AsSpan(shard.Length - 8));
        int footerStart = shard.Length - 8 - footerLength;
        var footer = shard.AsSpan(footerStart, footerLength).ToArray().ToList();
        if (damage == "row groups")
        {
            // FileMetaData field 4 (row_groups) is a list of structs: header 0x19, then 0x1C for one element.
            int list = IndexOf(footer, [0x19, 0x1C]) + 1;
            footer.RemoveAt(list);
            footer.InsertRange(list, [0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
        }
        else
        {
            // The first i64 one field id after its predecessor (header 0x16) inside the row group is ColumnMetaData's
            // num_values, which follows codec.
            int size = IndexOf(footer, [0x16], after: IndexOf(footer, [0x19, 0x1C])) + 1;
            while ((footer[size] & 0x80) != 0) footer.RemoveAt(size);
            footer[size] = 0xFE;
            footer.InsertRange(size, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
            footer[size + 7] = 0x7F;
        }
        var file = shard[..footerStart].Concat(footer).Concat(new byte[8]).ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(file.Length - 8), footer.Count);
        "PAR1"u8.CopyTo(file.AsSpan(file.Length - 4));
        string path = Path.Combine(_dir.Path, "train-0.parquet");
        File.WriteAllBytes(path, file);

        long before = GC.GetTotalAllocatedBytes(precise: true);
        // A timeout here means the reader is looping over the claimed row groups.
        var error = await Assert.ThrowsAsync<DiffusionAlignException>(
            () => Task.Run(() => PickAPicParquet.Read(path, resizeTo: 8)).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains(path, error.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64 * file.Length + (4 << 20));
    }

    private static int IndexOf(List<byte> bytes, byte[] pattern, int after = 0)
    {
        for (int i = after; i + pattern.Length <= bytes.Count; i++)
            if (pattern.Select((b, j) => bytes[i + j] == b).All(match => match)) return i;
        throw new InvalidOperationException($"the test shard's footer has no {Convert.ToHexString(pattern)}");
    }

    private static async Task<byte[]> Shard()
    {
        var png = ImageCodec.EncodePng(new RgbImage(4, 4));
        var caption = new DataField<string>("caption", nullable: true);
        var jpg0 = new DataField<byte[]>("jpg_0", nullable: true);
        var jpg1 = new DataField<byte[]>("jpg_1", nullable: true);
        var label0 = new DataField<double?>("label_0");
        var label1 = new DataField<double?>("label_1");
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(
            new ParquetSchema(caption, jpg0, jpg1, label0, label1), stream))
        {
            using var rows = writer.CreateRowGroup();
            await rows.WriteAsync(caption, new[] { "red" });
            await rows.WriteAsync(jpg0, new[] { png });
            await rows.WriteAsync(jpg1, new[] { png });
            await rows.WriteAsync<double>(label0, new double?[] { 1 }.AsMemory());
            await rows.WriteAsync<double>(label1, new double?[] { 0 }.AsMemory());
        }
        return stream.ToArray();
    }
}
