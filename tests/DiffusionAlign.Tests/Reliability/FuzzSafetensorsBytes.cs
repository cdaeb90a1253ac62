using System.Buffers.Binary;
using System.Text;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Mutations of a valid <c>.safetensors</c> file. Half damage the bytes (mostly the header); half rewrite the header
/// JSON with a structural mutation and a consistent length prefix, so the damage gets past the length check to the
/// checks of names, dtypes, shapes and offsets.
/// </summary>
public static class FuzzSafetensorsBytes
{
    public static byte[] Mutate(byte[] valid, Random rng, out string description)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        if (rng.Next(2) == 0) return FuzzBytes.Mutate(valid, rng, out description, [(0, 8 + headerLength)]);
        var mutation = FuzzJson.Mutate(Encoding.UTF8.GetString(valid, 8, headerLength), rng);
        description = "header " + mutation.Description;
        byte[] header = Encoding.UTF8.GetBytes(mutation.Text);
        var file = new byte[8 + header.Length + valid.Length - 8 - headerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        valid.AsSpan(8 + headerLength).CopyTo(file.AsSpan(8 + header.Length));
        return file;
    }
}
