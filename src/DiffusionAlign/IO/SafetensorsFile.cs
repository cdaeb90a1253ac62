using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.IO;

/// <summary>
/// Reads and writes Hugging Face's <c>.safetensors</c> format: an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON describing each tensor (dtype, shape, byte range), then the raw little-endian
/// data. Checkpoints are a flat name → tensor map, so loading a model is a dictionary match.
/// Files of any size are read tensor by tensor with seeks, never whole.
/// </summary>
public static class SafetensorsFile
{
    private const int ChunkBytes = 1 << 22;

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device and layout; stored contiguous, in name order) with optional
    /// <c>__metadata__</c>. The file appears only once complete, replacing any previous one.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or reserved,
    /// or a tensor's dtype has no safetensors counterpart.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        RequireLittleEndian();
        var ordered = tensors.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToList();
        var entries = new List<SafetensorsEntry>(ordered.Count);
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"'{name}' cannot be a tensor name in a safetensors file", nameof(tensors));
            var dtype = SafetensorsDTypes.FromScalarType(tensor.dtype)
                ?? throw new ArgumentException(
                    $"tensor '{name}' has dtype {tensor.dtype}, which safetensors files here cannot hold",
                    nameof(tensors));
            long bytes = tensor.numel() * dtype.Size();
            entries.Add(new SafetensorsEntry(name, dtype, tensor.shape, offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = EncodeHeader(entries, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in ordered) WriteData(stream, tensor);
        });
    }

    /// <summary>Reads and checks only the header (tensor names, dtypes, shapes, byte ranges, metadata).</summary>
    /// <exception cref="SafetensorsFormatException">The file is not a well-formed safetensors file.</exception>
    /// <exception cref="DiffusionAlignException">The file does not exist.</exception>
    public static SafetensorsHeader ReadHeader(string path)
    {
        using var stream = Open(path);
        return ReadHeader(stream, path);
    }

    /// <summary>
    /// Reads the tensors whose names pass <paramref name="filter"/> (all when null) as CPU tensors of their
    /// stored dtype. The whole header is checked first, so a malformed file is rejected before any tensor is made.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The file is not a well-formed safetensors file.</exception>
    /// <exception cref="DiffusionAlignException">The file does not exist,
    /// or a selected tensor's dtype has no TorchSharp type.</exception>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool>? filter = null)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries)
            {
                if (filter is not null && !filter(entry.Name)) continue;
                var type = entry.DType.ToScalarType()
                    ?? throw new DiffusionAlignException(
                        $"{path}: tensor '{entry.Name}' has dtype {entry.DType}, which TorchSharp cannot represent");
                var tensor = empty(entry.Shape.ToArray(), dtype: type, device: CPU).DetachFromDisposeScope();
                result.Add(entry.Name, tensor);
                ReadData(stream, header.DataStart + entry.Begin, entry.ByteCount, tensor, entry.DType.Size(), path);
            }
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }

    private static FileStream Open(string path)
    {
        if (!File.Exists(path)) throw new DiffusionAlignException($"safetensors file not found: {path}");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
    }

    private static SafetensorsHeader ReadHeader(FileStream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new SafetensorsFormatException(
                path, $"file is {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)SafetensorsHeader.MaxHeaderBytes)
            throw new SafetensorsFormatException(
                path, $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileLength - 8)
            throw new SafetensorsFormatException(
                path, $"header length {headerLength} runs past the end of the {fileLength}-byte file");
        var header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        return SafetensorsHeader.Parse(header, dataStart, fileLength - dataStart, path);
    }

    /// <summary>
    /// Reads straight into the tensor's native storage through spans over slices of its flat view, so no
    /// managed array (limited to 2 GB) ever holds a whole tensor.
    /// </summary>
    private static void ReadData(FileStream stream, long position, long count, Tensor tensor, long elementSize,
        string path)
    {
        if (count == 0) return;
        stream.Seek(position, SeekOrigin.Begin);
        using var scope = NewDisposeScope();
        var flat = tensor.view(-1);
        long total = flat.shape[0], step = ChunkBytes / elementSize;
        for (long start = 0; start < total; start += step)
        {
            using var part = flat.narrow(0, start, Math.Min(step, total - start));
            try
            {
                stream.ReadExactly(part.bytes);
            }
            catch (EndOfStreamException e)
            {
                throw new SafetensorsFormatException(
                    path, "file ended inside the tensor data (was it truncated while reading?)", e);
            }
        }
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var flat = tensor.detach().cpu().contiguous().view(-1);
        long total = flat.shape[0], step = ChunkBytes / flat.element_size();
        for (long start = 0; start < total; start += step)
        {
            using var part = flat.narrow(0, start, Math.Min(step, total - start));
            stream.Write(part.bytes);
        }
    }

    /// <summary>
    /// Compact JSON (metadata first, then tensors in data order),
    /// space-padded to a multiple of 8 so the data is aligned.
    /// </summary>
    private static byte[] EncodeHeader(List<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(
            json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", entry.DType.ToString());
                writer.WriteStartArray("shape");
                foreach (long dim in entry.Shape) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(entry.Begin);
                writer.WriteNumberValue(entry.End);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int padded = (int)((json.Length + 7) / 8 * 8);
        while (json.Length < padded) json.WriteByte((byte)' ');
        return json.ToArray();
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors I/O here assumes a little-endian machine");
    }
}
