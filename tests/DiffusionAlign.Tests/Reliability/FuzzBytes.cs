using System.Buffers.Binary;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Seeded byte-level mutations of a valid file: the damage a bad disk, a cut download or a careless edit does.
/// Each call applies one to three mutations and says which, so a failing case can be read from its name.
/// </summary>
public static class FuzzBytes
{
    /// <summary>Bytes that sit on the edges of signed and unsigned ranges, where length and sign checks slip.</summary>
    public static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x7F, 0x80];

    /// <summary>
    /// Integers that, written over a length, count or offset field, claim absurd sizes: the places a parser must
    /// check against the file's real length before allocating.
    /// </summary>
    public static readonly long[] InterestingIntegers =
    [
        0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, int.MaxValue, int.MinValue, uint.MaxValue, 1L << 31, 1L << 32,
        1L << 40, 1L << 62, long.MaxValue, long.MinValue,
    ];

    /// <summary>
    /// Returns a mutated copy of <paramref name="input"/>. Positions fall inside <paramref name="hotRanges"/>
    /// (where the structure lives: a header, a footer) half of the time, anywhere otherwise.
    /// </summary>
    public static byte[] Mutate(byte[] input, Random rng, out string description,
        IReadOnlyList<(int Start, int Length)>? hotRanges = null)
    {
        var bytes = new List<byte>(input);
        var steps = new List<string>();
        int count = rng.Next(1, 4);
        for (int i = 0; i < count; i++) steps.Add(MutateOnce(bytes, rng, hotRanges));
        description = string.Join(" + ", steps);
        return [.. bytes];
    }

    private static string MutateOnce(List<byte> bytes, Random rng, IReadOnlyList<(int Start, int Length)>? hot)
    {
        if (bytes.Count == 0)
        {
            bytes.Add(InterestingBytes[rng.Next(InterestingBytes.Length)]);
            return "insert into empty";
        }
        int at = Position(bytes.Count, rng, hot);
        switch (rng.Next(8))
        {
            case 0:
            {
                int bit = rng.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                return $"flip bit {bit} at {at}";
            }
            case 1:
            {
                byte value = InterestingBytes[rng.Next(InterestingBytes.Length)];
                bytes[at] = value;
                return $"byte 0x{value:X2} at {at}";
            }
            case 2:
            {
                long value = InterestingIntegers[rng.Next(InterestingIntegers.Length)];
                int width = rng.Next(2) == 0 ? 4 : 8;
                Span<byte> encoded = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(encoded, value);
                if (rng.Next(4) == 0) encoded.Slice(0, width).Reverse();
                for (int i = 0; i < width && at + i < bytes.Count; i++) bytes[at + i] = encoded[i];
                return $"int{width * 8} {value} at {at}";
            }
            case 3:
            {
                int length = rng.Next(bytes.Count);
                bytes.RemoveRange(length, bytes.Count - length);
                return $"truncate to {length}";
            }
            case 4:
            {
                int length = rng.Next(1, 17);
                var inserted = new byte[length];
                if (rng.Next(2) == 0) rng.NextBytes(inserted);
                else Array.Fill(inserted, InterestingBytes[rng.Next(InterestingBytes.Length)]);
                bytes.InsertRange(at, inserted);
                return $"insert {length} bytes at {at}";
            }
            case 5:
            {
                int length = Math.Min(rng.Next(1, 17), bytes.Count - at);
                bytes.RemoveRange(at, length);
                return $"delete {length} bytes at {at}";
            }
            case 6:
            {
                int start = rng.Next(bytes.Count);
                int length = Math.Min(rng.Next(1, 257), bytes.Count - start);
                var chunk = bytes.GetRange(start, length);
                int to = rng.Next(bytes.Count + 1);
                bytes.InsertRange(to, chunk);
                return $"duplicate {length} bytes from {start} to {to}";
            }
            default:
            {
                int length = Math.Min(rng.Next(1, 9), bytes.Count - at);
                for (int i = 0; i < length; i++) bytes[at + i] = (byte)rng.Next(256);
                return $"randomize {length} bytes at {at}";
            }
        }
    }

    private static int Position(int count, Random rng, IReadOnlyList<(int Start, int Length)>? hot)
    {
        if (hot is { Count: > 0 } && rng.Next(2) == 0)
        {
            var (start, length) = hot[rng.Next(hot.Count)];
            int from = Math.Clamp(start, 0, count - 1);
            int to = Math.Clamp(start + Math.Max(length, 1), from + 1, count);
            return rng.Next(from, to);
        }
        return rng.Next(count);
    }
}
