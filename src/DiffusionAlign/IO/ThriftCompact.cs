namespace DiffusionAlign.IO;

/// <summary>
/// Walks thrift compact-protocol data (parquet's metadata encoding) without building it, refusing any count
/// or length larger than the bytes left, so whatever reads the same bytes afterwards does bounded work.
/// Written here because the thrift readers at hand (Parquet.Net's own) decode into objects sized by the very
/// counts being checked.
/// </summary>
internal static class ThriftCompact
{
    private const int MaxDepth = 64;

    /// <summary>The sizes parquet's PageHeader gives: fields 2 and 3, and num_values of its typed header.</summary>
    /// <param name="Kind">The field of the typed header: 5 data page, 7 dictionary page, 8 data page v2.</param>
    public readonly record struct PageHeader(long UncompressedSize, long CompressedSize, long Values, int Kind);

    /// <exception cref="EndOfStreamException">The header runs past <paramref name="data"/>.</exception>
    public static PageHeader ReadPageHeader(ReadOnlySpan<byte> data, ref int position)
    {
        long uncompressed = -1, compressed = -1, values = 0;
        int field = 0, kind = 0;
        while (true)
        {
            byte header = Next(data, ref position);
            int type = header & 0x0F;
            if (type == 0) return new(uncompressed, compressed, values, kind);
            field = header >> 4 == 0 ? (int)ZigZag(Varint(data, ref position)) : field + (header >> 4);
            if (field is 2 or 3 && type == 5)
            {
                long size = ZigZag(Varint(data, ref position));
                if (field == 2) uncompressed = size;
                else compressed = size;
            }
            else if (field is 5 or 7 or 8 && type == 12)
            {
                // Data page (v1, v2) and dictionary page headers all start with num_values.
                kind = field;
                int inner = position;
                byte first = Next(data, ref inner);
                if (first == 0x15)
                {
                    values = ZigZag(Varint(data, ref inner));
                    SkipStruct(data, ref inner, 1);
                    position = inner;
                }
                else SkipStruct(data, ref position, 1);
            }
            else SkipValue(data, ref position, type, 1);
        }
    }

    private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    public static void SkipStruct(ReadOnlySpan<byte> data, ref int position, int depth)
    {
        if (depth > MaxDepth) throw new InvalidDataException("its metadata nests too deeply");
        while (true)
        {
            byte header = Next(data, ref position);
            int type = header & 0x0F;
            if (type == 0) return;
            if (header >> 4 == 0) Varint(data, ref position);
            SkipValue(data, ref position, type, depth);
        }
    }

    private static void SkipValue(ReadOnlySpan<byte> data, ref int position, int type, int depth)
    {
        switch (type)
        {
            case 1 or 2:
                return;
            case 3:
                Next(data, ref position);
                return;
            case 4 or 5 or 6:
                Varint(data, ref position);
                return;
            case 7:
                position += Count(data, position, 8, 1);
                return;
            case 8:
            {
                ulong length = Varint(data, ref position);
                position += Count(data, position, length, 1);
                return;
            }
            case 9 or 10:
            {
                byte header = Next(data, ref position);
                ulong size = header >> 4 == 15 ? Varint(data, ref position) : (ulong)(header >> 4);
                for (int i = Count(data, position, size, 1); i > 0; i--)
                    SkipElement(data, ref position, header & 0x0F, depth + 1);
                return;
            }
            case 11:
            {
                ulong size = Varint(data, ref position);
                if (size == 0) return;
                byte types = Next(data, ref position);
                for (int i = Count(data, position, size, 2); i > 0; i--)
                {
                    SkipElement(data, ref position, types >> 4, depth + 1);
                    SkipElement(data, ref position, types & 0x0F, depth + 1);
                }
                return;
            }
            case 12:
                SkipStruct(data, ref position, depth + 1);
                return;
            default:
                throw new InvalidDataException($"its metadata holds unknown thrift type {type}");
        }
    }

    // Inside a list, set or map a boolean takes a byte of its own rather than living in a field header.
    private static void SkipElement(ReadOnlySpan<byte> data, ref int position, int type, int depth)
    {
        if (type is 1 or 2) Next(data, ref position);
        else SkipValue(data, ref position, type, depth);
    }

    /// <summary>
    /// <paramref name="count"/>, if that many items of <paramref name="bytesEach"/> bytes or more fit in the rest.
    /// </summary>
    private static int Count(ReadOnlySpan<byte> data, int position, ulong count, int bytesEach)
    {
        ulong left = (ulong)(data.Length - position);
        // Running out of bytes, like ending early: a page header read in part may just need more of them.
        if (count > left / (ulong)bytesEach)
            throw new EndOfStreamException($"its metadata claims {count} items with {left} bytes left");
        return (int)count;
    }

    private static byte Next(ReadOnlySpan<byte> data, ref int position) =>
        position < data.Length ? data[position++] : throw new EndOfStreamException("its metadata ends early");

    public static ulong Varint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Next(data, ref position);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("its metadata holds a varint of more than ten bytes");
    }
}
