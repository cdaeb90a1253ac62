using System.Text;
using DiffusionAlign.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.IO;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dalign-st-" + Guid.NewGuid().ToString("N"));

    public SafetensorsFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TinyFileIsByteExact()
    {
        string path = Path.Combine(_dir, "tiny.safetensors");
        using var x = tensor(new float[] { 1f, 2f });
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["x"] = x });

        // Written out by hand: u64 header length, compact JSON padded with spaces to a multiple of 8, data.
        const string json = """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        Assert.Equal(54, json.Length);
        var expected = new List<byte> { 56, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes(json + "  "));
        expected.AddRange(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40 }); // 1.0f, 2.0f little-endian
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void HandWrittenFileWithMetadataReads()
    {
        string path = Path.Combine(_dir, "hand.safetensors");
        // Two tensors out of name order, metadata in the middle, padding spaces: all legal.
        WriteRaw(path,
            """{"b":{"dtype":"I16","shape":[],"data_offsets":[4,6]},"__metadata__":{"format":"pt"}"""
                + ""","a":{"dtype":"U8","shape":[2,2],"data_offsets":[0,4]}}   """,
            [1, 2, 3, 4, 0xFE, 0xFF]);
        var header = SafetensorsFile.ReadHeader(path);
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Equal(new[] { "b", "a" }, header.Entries.Select(e => e.Name));
        Assert.Equal(new long[] { 2, 2 }, header.Find("a")!.Shape);

        var tensors = SafetensorsFile.Read(path);
        try
        {
            Assert.Equal(ScalarType.Byte, tensors["a"].dtype);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, tensors["a"].data<byte>().ToArray());
            Assert.Equal(0, tensors["b"].dim());
            Assert.Equal((short)-2, tensors["b"].item<short>());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public void EveryDtypeRoundTripsIncludingScalarsAndEmpties()
    {
        string path = Path.Combine(_dir, "all.safetensors");
        using var scope = NewDisposeScope();
        var values = tensor(new float[] { 0f, 1f, -2.5f, 3.75f, 100f, -0.5f }).reshape(2, 3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = values,
            ["f16"] = values.to_type(ScalarType.Float16),
            ["bf16"] = values.to_type(ScalarType.BFloat16),
            ["f64"] = values.to_type(ScalarType.Float64) / 3,
            ["i64"] = tensor(new long[] { long.MinValue, -1, long.MaxValue }),
            ["i32"] = tensor(new int[] { int.MinValue, 7, int.MaxValue }),
            ["i16"] = tensor(new short[] { short.MinValue, 7, short.MaxValue }),
            ["i8"] = tensor(new sbyte[] { sbyte.MinValue, -7, sbyte.MaxValue }),
            ["u8"] = tensor(new byte[] { 0, 128, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(4.5f),
            ["empty"] = zeros(new long[] { 0, 3 }),
            ["empty_i64"] = zeros(new long[] { 2, 0 }, dtype: ScalarType.Int64),
            ["slice"] = values[1], // a view with a storage offset
            ["transposed"] = values.t(), // non-contiguous
        };
        SafetensorsFile.Write(path, tensors);

        var header = SafetensorsFile.ReadHeader(path);
        Assert.Equal(0, header.DataStart % 8);
        var expectedDtypes = new Dictionary<string, SafetensorsDType>
        {
            ["f32"] = SafetensorsDType.F32, ["f16"] = SafetensorsDType.F16, ["bf16"] = SafetensorsDType.BF16,
            ["f64"] = SafetensorsDType.F64, ["i64"] = SafetensorsDType.I64, ["i32"] = SafetensorsDType.I32,
            ["i16"] = SafetensorsDType.I16, ["i8"] = SafetensorsDType.I8, ["u8"] = SafetensorsDType.U8,
            ["bool"] = SafetensorsDType.BOOL, ["scalar"] = SafetensorsDType.F32,
        };
        foreach (var (name, dtype) in expectedDtypes) Assert.Equal(dtype, header.Find(name)!.DType);
        Assert.Empty(header.Find("scalar")!.Shape);

        var read = SafetensorsFile.Read(path);
        foreach (var t in read.Values) t.MoveToOuterDisposeScope();
        Assert.Equal(tensors.Keys.Order(), read.Keys.Order());
        foreach (var (name, original) in tensors)
        {
            var copy = read[name];
            Assert.Equal(original.dtype, copy.dtype);
            Assert.Equal(original.shape, copy.shape);
            Assert.Equal(DeviceType.CPU, copy.device_type);
            Assert.True(original.eq(copy).all().item<bool>(), $"{name} differs after the round trip");
        }
        Assert.Equal(new[] { 3.75f, 100f, -0.5f }, read["slice"].data<float>().ToArray());
        Assert.Equal(new[] { 0f, 3.75f, 1f, 100f, -2.5f, -0.5f }, read["transposed"].data<float>().ToArray());
    }

    [Fact]
    public void HalfPrecisionBytesAreIeeeLittleEndian()
    {
        string path = Path.Combine(_dir, "half.safetensors");
        using var one = ones(1);
        using var f16 = one.to_type(ScalarType.Float16);
        using var bf16 = one.to_type(ScalarType.BFloat16);
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["a"] = f16, ["b"] = bf16 });
        var bytes = File.ReadAllBytes(path);
        var header = SafetensorsFile.ReadHeader(path);
        // 1.0 is 0x3C00 in IEEE half and 0x3F80 in bfloat16.
        Assert.Equal(new byte[] { 0x00, 0x3C, 0x80, 0x3F }, bytes[(int)header.DataStart..]);
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        string path = Path.Combine(_dir, "meta.safetensors");
        using var x = zeros(1);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt", ["note"] = "héllo \"quoted\" + ünïcode", ["empty"] = ""
        };
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["x"] = x }, metadata);
        var header = SafetensorsFile.ReadHeader(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), header.Metadata.OrderBy(p => p.Key));
    }

    [Fact]
    public void FilterSelectsTensors()
    {
        string path = Path.Combine(_dir, "filter.safetensors");
        using var a = ones(2);
        using var b = zeros(3);
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["unet.a"] = a, ["vae.b"] = b });
        var read = SafetensorsFile.Read(path, name => name.StartsWith("unet.", StringComparison.Ordinal));
        Assert.Equal(new[] { "unet.a" }, read.Keys);
        foreach (var t in read.Values) t.Dispose();
    }

    [Fact]
    public void TensorsPastTwoGigabytesAreReachedBySeeking()
    {
        // A sparse file: a 2^31 + 8 byte U8 tensor (never read), then an F32 [2] tensor beyond the 2 GB mark.
        string path = Path.Combine(_dir, "big.safetensors");
        long big = (1L << 31) + 8;
        string json = $$$"""{"pad":{"dtype":"U8","shape":[{{{big}}}],"data_offsets":[0,{{{big}}}]}"""
            + $$$""","tail":{"dtype":"F32","shape":[2],"data_offsets":[{{{big}}},{{{big + 8}}}]}}""";
        json = json.PadRight((json.Length + 7) / 8 * 8);
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes((ulong)json.Length));
            stream.Write(Encoding.ASCII.GetBytes(json));
            stream.SetLength(8 + json.Length + big + 8);
            stream.Seek(8 + json.Length + big, SeekOrigin.Begin);
            stream.Write([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]);
        }
        Assert.Equal(big, SafetensorsFile.ReadHeader(path).Find("pad")!.ByteCount);
        var read = SafetensorsFile.Read(path, name => name == "tail");
        Assert.Equal(new[] { 1f, 2f }, read["tail"].data<float>().ToArray());
        read["tail"].Dispose();
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndLeavesNoTemporaries()
    {
        string path = Path.Combine(_dir, "replace.safetensors");
        File.WriteAllText(path, "old");
        using var x = ones(3);
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["x"] = x });
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
        Assert.Equal(3, SafetensorsFile.ReadHeader(path).Find("x")!.Shape[0]);
    }

    [Fact]
    public void FailedWriteLeavesNoFileAndKeepsTheOldOne()
    {
        string path = Path.Combine(_dir, "fail.safetensors");
        using var good = ones(3);
        using var complex = zeros(new long[] { 2 }, dtype: ScalarType.ComplexFloat32);
        var tensors = new Dictionary<string, Tensor> { ["a"] = good, ["b"] = complex };
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, tensors));
        Assert.Empty(Directory.GetFiles(_dir));

        File.WriteAllText(path, "previous");
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, tensors));
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void ReservedNamesAreRejected()
    {
        using var x = ones(1);
        Assert.Throws<ArgumentException>(() =>
            SafetensorsFile.Write(Path.Combine(_dir, "r.safetensors"),
                new Dictionary<string, Tensor> { ["__metadata__"] = x }));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void MissingFileIsAUserError()
    {
        Assert.Throws<DiffusionAlignException>(() => SafetensorsFile.Read(Path.Combine(_dir, "nope.safetensors")));
    }

    private static void WriteRaw(string path, string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((ulong)header.Length));
        stream.Write(header);
        stream.Write(data);
    }
}
