using System.Buffers.Binary;
using System.Text;
using DiffusionAlign.IO;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Damaged <c>.safetensors</c> files: reading one gives its tensors or a <see cref="SafetensorsFormatException"/>
/// (a <see cref="DiffusionAlignException"/> for a dtype TorchSharp lacks) naming the file, and never allocates
/// more than the file holds.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzSafetensorsTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private byte[] ValidFile()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(_dir.Path, "valid.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor>
        {
            ["conv.weight"] = arange(0, 24, dtype: ScalarType.Float32).reshape(2, 3, 2, 2) / 7,
            ["conv.bias"] = tensor(new[] { 0.5f, -1.25f }).to_type(ScalarType.Float16),
            ["norm.scale"] = ones(3, dtype: ScalarType.BFloat16),
            ["position_ids"] = arange(0, 5, dtype: ScalarType.Int64),
            ["mask"] = tensor(new[] { true, false, true }),
            ["bytes"] = tensor(new byte[] { 1, 2, 255 }),
            ["empty"] = zeros(0, 4),
        }, new Dictionary<string, string> { ["format"] = "pt" });
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void DamagedFilesGiveTensorsOrAFormatErrorNamingTheFile()
    {
        byte[] valid = ValidFile();
        string path = Path.Combine(_dir.Path, "model.safetensors");
        var target = new FuzzTarget
        {
            Format = "safetensors",
            Prepare = (i, rng) =>
            {
                byte[] bytes = FuzzSafetensorsBytes.Mutate(valid, rng, out string description);
                File.WriteAllBytes(path, bytes);
                return new FuzzInput($"{(i % 2 == 0 ? "ReadHeader" : "Read")}: {description}", bytes.Length, path);
            },
            // ReadHeader's contract is narrower: a file that exists fails only as a malformed one.
            Warmup = () =>
            {
                File.WriteAllBytes(path, valid);
                CheckTensors(SafetensorsFile.Read(path), valid.Length);
            },
            Call = input => input.Description.StartsWith("ReadHeader", StringComparison.Ordinal)
                ? SafetensorsFile.ReadHeader(path)
                : SafetensorsFile.Read(path),
            Documented = e => e is SafetensorsFormatException
                || (e is DiffusionAlignException && e.Message.Contains("TorchSharp cannot represent")),
            CheckSuccess = (input, result) => result switch
            {
                SafetensorsHeader header => CheckHeader(header, input.InputBytes),
                Dictionary<string, Tensor> tensors => CheckTensors(tensors, input.InputBytes),
                _ => $"unexpected result {result}",
            },
        };
        var tally = FuzzHarness.Run(target, FuzzSettings.Cases(1000), output);
        FuzzHarness.AssertHeld(tally);
    }

    /// <summary>What the header promises must fit in the file, since Read allocates exactly that natively.</summary>
    private static string? CheckHeader(SafetensorsHeader header, long fileBytes)
    {
        long total = 0;
        foreach (var entry in header.Entries)
        {
            long elements = entry.Shape.Aggregate(1L, (product, dim) => checked(product * dim));
            if (elements * entry.DType.Size() != entry.ByteCount)
                return $"tensor '{entry.Name}' holds {entry.ByteCount} bytes for {elements} elements";
            total += entry.ByteCount;
        }
        return header.DataStart + total > fileBytes
            ? $"the header accounts for {header.DataStart + total} bytes of a {fileBytes}-byte file"
            : null;
    }

    private static string? CheckTensors(Dictionary<string, Tensor> tensors, long fileBytes)
    {
        long total = tensors.Values.Sum(t => t.numel() * t.element_size());
        foreach (var tensor in tensors.Values) tensor.Dispose();
        return total > fileBytes ? $"{total} tensor bytes read from a {fileBytes}-byte file" : null;
    }

    public static TheoryData<string, long, string> AbsurdHeaders => new()
    {
        { "a 10^12-element tensor", 8, """{"x":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}}""" },
        { "offsets claiming 2^62 bytes", 8,
            """{"x":{"dtype":"U8","shape":[4611686018427387904],"data_offsets":[0,4611686018427387904]}}""" },
        { "a shape that overflows", 8,
            """{"x":{"dtype":"F64","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}""" },
        { "zero elements in a huge shape", 0,
            """{"x":{"dtype":"F32","shape":[0,9223372036854775807],"data_offsets":[0,0]}}""" },
    };

    /// <summary>Sizes a file cannot hold are refused from the header alone, before any tensor is made.</summary>
    [Theory]
    [MemberData(nameof(AbsurdHeaders))]
    public void AbsurdSizesAreRefusedBeforeAllocating(string what, long dataBytes, string header)
    {
        string path = Path.Combine(_dir.Path, "absurd.safetensors");
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = Record.Exception(() =>
        {
            foreach (var tensor in SafetensorsFile.Read(path).Values)
            {
                Assert.Equal(0, tensor.numel());
                tensor.Dispose();
            }
        });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * file.Length + (1 << 20), $"{what}: allocated {allocated} bytes");
        if (dataBytes > 0)
        {
            var format = Assert.IsType<SafetensorsFormatException>(error);
            Assert.Contains(path, format.Message);
        }
    }

    [Theory]
    [InlineData(1L << 62)]
    [InlineData(ulong.MaxValue)]
    [InlineData(100L * 1024 * 1024)]
    public void AHeaderLengthBeyondTheFileIsRefusedBeforeAllocating(ulong claimed)
    {
        string path = Path.Combine(_dir.Path, "long-header.safetensors");
        var file = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(file, claimed);
        File.WriteAllBytes(path, file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.ReadHeader(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains(path, error.Message);
        Assert.Contains(claimed.ToString(), error.Message);
    }
}
