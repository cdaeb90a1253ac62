using System.Buffers.Binary;
using DiffusionAlign.IO;
using Google.Protobuf;
using Tensorboard;

namespace DiffusionAlign.Training.Logging;

/// <summary>
/// Reads and rewrites TensorBoard event files: TFRecord framing (little-endian uint64 length, its masked CRC-32C,
/// the serialized <c>Event</c>, the data's masked CRC-32C) around the <see cref="Event"/> messages TorchSharp
/// ships. Rewriting is how a resumed run drops what a crashed one logged after its last checkpoint, as
/// <c>metrics.jsonl</c> is truncated.
/// </summary>
public static class TensorBoardEventFile
{
    /// <summary>What TensorBoard looks for in a file name, and what TorchSharp's writer names its files with.</summary>
    public const string NameMarker = "tfevents";

    /// <summary>The event files directly in <paramref name="dir"/> (none if it does not exist), by name.</summary>
    public static IReadOnlyList<string> In(string dir) =>
        Directory.Exists(dir)
            ? [.. Directory.EnumerateFiles(dir)
                .Where(f => Path.GetFileName(f).Contains(NameMarker, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)]
            : [];

    /// <summary>
    /// The events of one file in order. A last record cut short (the writer was killed mid-record) ends the file.
    /// </summary>
    /// <exception cref="InvalidDataException">A record whose checksum does not match.</exception>
    public static IReadOnlyList<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        int at = 0;
        while (bytes.Length - at >= 12)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
            if (lengthCrc != MaskedCrc(bytes.AsSpan(at, 8)))
                throw new InvalidDataException($"{path}: record at byte {at} has a corrupt length");
            if ((ulong)(bytes.Length - at - 12) < length + 4) break;
            var data = bytes.AsSpan(at + 12, (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length));
            if (dataCrc != MaskedCrc(data))
                throw new InvalidDataException($"{path}: record at byte {at} has corrupt data");
            // A coded stream, not a span: TorchSharp's generated classes predate span-based parsing.
            events.Add(Event.Parser.ParseFrom(new CodedInputStream(bytes, at + 12, (int)length)));
            at += 12 + (int)length + 4;
        }
        return events;
    }

    /// <summary>
    /// Rewrites every event file in <paramref name="dir"/> without the events after <paramref name="lastStep"/>
    /// (the file-version header has step 0 and stays). Atomic per file.
    /// </summary>
    public static void TruncateAfter(string dir, long lastStep)
    {
        foreach (string path in In(dir))
        {
            var events = Read(path);
            if (events.All(e => e.Step <= lastStep)) continue;
            AtomicFile.Write(path, stream =>
            {
                foreach (var e in events.Where(e => e.Step <= lastStep)) WriteRecord(stream, e);
            });
        }
    }

    /// <summary>One event in TFRecord framing.</summary>
    public static void WriteRecord(Stream stream, Event e)
    {
        byte[] data = e.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8]));
        stream.Write(header);
        stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(data));
        stream.Write(footer);
    }

    /// <summary>TFRecord's masked CRC-32C: the checksum rotated right by 15 bits plus a constant.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = TorchSharp.Utils.CRC32C.process(data.ToArray());
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8U;
    }
}
