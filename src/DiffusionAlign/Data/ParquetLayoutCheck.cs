using System.Buffers.Binary;
using DiffusionAlign.IO;
using Parquet;
using Parquet.Schema;

namespace DiffusionAlign.Data;

/// <summary>
/// Checks a parquet file's footer, row groups, column chunks and page headers against the file's own size
/// before Parquet.Net reads it. Parquet.Net trusts the counts it reads: a damaged list length makes it loop for
/// billions of elements, and it allocates what a chunk or page claims before finding the file too short. So a
/// few kilobytes of untrusted bytes could cost hours or gigabytes; these checks bound both. Failures are
/// <see cref="InvalidDataException"/>s, which <see cref="PickAPicParquet"/> reports naming the file.
/// </summary>
internal static class ParquetLayoutCheck
{
    /// <summary>
    /// Walks the footer's thrift metadata before the parquet reader does. The reader trusts its counts: a damaged
    /// list length makes it loop for billions of elements, so a 4 KB file can keep it busy for hours.
    /// </summary>
    public static void CheckFooter(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        long length = stream.Length;
        if (length < 12) throw new InvalidDataException($"{length} bytes is too short for a parquet file");
        Span<byte> tail = stackalloc byte[8];
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        int footer = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (!tail[4..].SequenceEqual("PAR1"u8)) throw new InvalidDataException("it does not end with PAR1");
        if (footer <= 0 || footer > length - 12)
            throw new InvalidDataException($"its footer length {footer} does not fit its {length} bytes");
        var metadata = new byte[footer];
        stream.Seek(-8 - footer, SeekOrigin.End);
        stream.ReadExactly(metadata);
        int position = 0;
        ThriftCompact.SkipStruct(metadata, ref position, 0);
    }

    /// <summary>
    /// Checks a row group's counts, its columns' byte ranges and their pages' sizes against the file before
    /// anything is sized by them: the parquet reader allocates what a column chunk or page claims before finding
    /// the file too short, and this reader allocates arrays of the row count. Every Pick-a-Pic row stores two
    /// images, so a row needs more than a byte; the images are compressed already, so no page of a real file
    /// inflates 64-fold.
    /// </summary>
    /// <returns>The row count.</returns>
    public static int CheckRowGroup(ParquetRowGroupReader rowGroup, IEnumerable<DataField> fields, FileStream file)
    {
        long rows = rowGroup.RowCount, fileLength = file.Length;
        if (rows < 0 || rows > fileLength)
            throw new InvalidDataException($"it claims {rows} rows in a {fileLength}-byte file");
        foreach (var field in fields)
        {
            var chunk = rowGroup.GetMetadata(field)?.MetaData
                ?? throw new InvalidDataException($"column '{field.Name}' has no metadata");
            long start = chunk.DictionaryPageOffset is long dictionary and > 0 ? dictionary : chunk.DataPageOffset;
            long size = chunk.TotalCompressedSize, unpacked = chunk.TotalUncompressedSize;
            if (start < 4 || size < 0 || size > fileLength - start || chunk.NumValues < 0 || chunk.NumValues > rows
                || unpacked < 0 || unpacked > 64 * size + (1 << 20))
                throw new InvalidDataException(
                    $"column '{field.Name}' claims {size} bytes ({unpacked} unpacked, {chunk.NumValues} values) "
                    + $"at {start} in a {fileLength}-byte file of {rows} rows");
            CheckPages(file, start, size, rows, field.Name, chunk.Codec == Parquet.Meta.CompressionCodec.SNAPPY);
        }
        return (int)rows;
    }

    /// <summary>
    /// Walks the page headers of the column chunk at [start, start + size). A snappy body opens with its own
    /// unpacked length, which the decompressor allocates before reading on, so that must agree with the header.
    /// </summary>
    private static void CheckPages(FileStream file, long start, long size, long rows, string column, bool snappy)
    {
        const int FirstRead = 16 << 10, LongestHeader = 16 << 20;
        long end = start + size;
        var buffer = new byte[FirstRead];
        for (long position = start; position < end;)
        {
            int available = (int)Math.Min(end - position, LongestHeader);
            ThriftCompact.PageHeader header;
            int headerLength = 0, read = Math.Min(available, FirstRead);
            while (true)
            {
                if (buffer.Length < read) buffer = new byte[read];
                file.Seek(position, SeekOrigin.Begin);
                file.ReadExactly(buffer, 0, read);
                try
                {
                    header = ThriftCompact.ReadPageHeader(buffer.AsSpan(0, read), ref headerLength);
                    break;
                }
                catch (EndOfStreamException) when (read < available)
                {
                    // A header longer than the first read (large statistics): read up to the end of the chunk.
                    read = available;
                    headerLength = 0;
                }
            }
            long body = header.CompressedSize;
            if (body < 0 || body > end - position - headerLength || header.UncompressedSize < 0
                || header.UncompressedSize > 64 * body + (64 << 10) || header.Values < 0
                || header.Values > Math.Max(rows, header.UncompressedSize))
                throw new InvalidDataException(
                    $"a page of column '{column}' at {position} claims {body} bytes ({header.UncompressedSize} "
                    + $"unpacked, {header.Values} values) with {end - position - headerLength} left in its chunk");
            // Only v1 data pages and dictionary pages compress their whole body; v2 pages keep levels uncompressed.
            if (snappy && body > 0 && header.Kind is 5 or 7)
            {
                int at = headerLength;
                if (headerLength + Math.Min(body, 10) > read)
                {
                    file.Seek(position + headerLength, SeekOrigin.Begin);
                    file.ReadExactly(buffer, 0, (int)Math.Min(body, 10));
                    at = 0;
                }
                ulong unpacked = ThriftCompact.Varint(buffer.AsSpan(0, at + (int)Math.Min(body, 10)), ref at);
                if (unpacked > (ulong)header.UncompressedSize)
                    throw new InvalidDataException(
                        $"a page of column '{column}' at {position} unpacks to {unpacked} bytes, not the "
                        + $"{header.UncompressedSize} its header says");
            }
            position += headerLength + body;
        }
    }
}
