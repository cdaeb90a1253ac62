using System.Text;
using DiffusionAlign.IO;

namespace DiffusionAlign.Tests.IO;

/// <summary>
/// Every way a header or layout can be broken must surface as a one-line SafetensorsFormatException naming the file.
/// </summary>
public sealed class SafetensorsMalformedTests : IDisposable
{
    private static readonly byte[] EightBytes = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dalign-bad-" + Guid.NewGuid().ToString("N"));

    public SafetensorsMalformedTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string, string> BadHeaders => new()
    {
        // case, header JSON (data is always the 8 bytes above), words the message must contain
        { "not json", """{"x":""", "not valid JSON" },
        { "not an object", """[1, 2]""", "must be a JSON object" },
        { "entry not an object", """{"x": 5}""", "must be an object" },
        { "missing dtype", """{"x":{"shape":[2],"data_offsets":[0,8]}}""", "missing field 'dtype'" },
        { "missing shape", """{"x":{"dtype":"F32","data_offsets":[0,8]}}""", "missing field 'shape'" },
        { "missing offsets", """{"x":{"dtype":"F32","shape":[2]}}""", "missing field 'data_offsets'" },
        { "extra field", """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}}""",
            "unexpected field 'stride'" },
        { "unknown dtype", """{"x":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype 'F7'" },
        { "lower-case dtype", """{"x":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype 'f32'" },
        { "dtype not a string", """{"x":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}""", "dtype must be a string" },
        { "negative shape", """{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "negative" },
        { "fractional shape", """{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", "not an integer" },
        { "string shape", """{"x":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", "not an integer" },
        { "shape not an array", """{"x":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}""", "array of integers" },
        { "huge shape", """{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", "too large" },
        { "one offset", """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "[begin, end]" },
        { "offsets out of range", """{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", "run past" },
        { "end before begin", """{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "before begin" },
        { "negative offset", """{"x":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", "negative" },
        { "size mismatch", """{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12" },
        { "size mismatch by dtype", """{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}""", "needs 16" },
        { "overlap", """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"""
            + ""","y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "overlap" },
        { "gap", """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"""
            + ""","y":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}""", "unused bytes before tensor 'y'" },
        { "trailing bytes", """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "unused bytes after" },
        { "duplicate tensor", """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"""
            + ""","x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "appears twice" },
        { "duplicate field", """{"x":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""",
            "appears twice" },
        { "metadata not strings",
            """{"__metadata__":{"epoch":3},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "not a string" },
        { "metadata not an object", """{"__metadata__":"pt","x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""",
            "__metadata__ must be" },
        { "empty header", "", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void BadHeaderIsAFormatError(string name, string header, string mentioned)
    {
        string path = Path.Combine(_dir, name.Replace(' ', '_') + ".safetensors");
        var bytes = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)bytes.Length), .. bytes, .. EightBytes]);
        AssertFormatError(path, mentioned);
    }

    [Fact]
    public void FileShorterThanEightBytes()
    {
        string path = Path.Combine(_dir, "short.safetensors");
        File.WriteAllBytes(path, [1, 0, 0]);
        AssertFormatError(path, "shorter than the 8-byte header length");
    }

    [Fact]
    public void EmptyFile()
    {
        string path = Path.Combine(_dir, "empty.safetensors");
        File.WriteAllBytes(path, []);
        AssertFormatError(path, "0 bytes");
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        string path = Path.Combine(_dir, "long.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1000UL), .. "{}"u8.ToArray()]);
        AssertFormatError(path, "runs past the end");
    }

    [Theory]
    [InlineData(200UL * 1024 * 1024)]
    [InlineData(ulong.MaxValue)] // would be negative as a signed length
    public void AbsurdHeaderLength(ulong length)
    {
        string path = Path.Combine(_dir, "absurd.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(length), .. "{}"u8.ToArray()]);
        AssertFormatError(path, "exceeds");
    }

    [Fact]
    public void InvalidUtf8()
    {
        string path = Path.Combine(_dir, "utf8.safetensors");
        byte[] header = [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header]);
        AssertFormatError(path, "UTF-8");
    }

    [Fact]
    public void UnsupportedButValidDtypeReadsHeaderButNotTensor()
    {
        string path = Path.Combine(_dir, "u16.safetensors");
        var header = """{"x":{"dtype":"U16","shape":[4],"data_offsets":[0,8]}}"""u8.ToArray();
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. EightBytes]);
        Assert.Equal(SafetensorsDType.U16, SafetensorsFile.ReadHeader(path).Entries[0].DType);
        var e = Assert.Throws<DiffusionAlignException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Empty(SafetensorsFile.Read(path, name => name != "x"));
    }

    private static void AssertFormatError(string path, string mentioned)
    {
        foreach (var read in new Action[] { () => SafetensorsFile.ReadHeader(path), () => SafetensorsFile.Read(path) })
        {
            var e = Assert.Throws<SafetensorsFormatException>(read);
            Assert.Contains(path, e.Message);
            Assert.Contains(mentioned, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.IsAssignableFrom<DiffusionAlignException>(e);
        }
    }
}
