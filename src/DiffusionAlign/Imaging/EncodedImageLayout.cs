using System.Buffers.Binary;

namespace DiffusionAlign.Imaging;

/// <summary>
/// Cheap walks over PNG chunks and JPEG markers, run before the native decoder sees untrusted bytes. They
/// catch what the decoder lets through: libpng returns a complete image for a PNG cut off after its last
/// pixel row (missing checksums and IEND), and libjpeg-turbo decodes any number of progressive scans, each
/// another pass over the image, so a small file can ask for unbounded work.
/// </summary>
internal static class EncodedImageLayout
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool IsPng(ReadOnlySpan<byte> bytes) => bytes.StartsWith(PngSignature);

    public static bool IsJpeg(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;

    /// <summary>Whether the chunks reach a complete IEND chunk (bytes after it are ignored, as decoders do).</summary>
    public static bool PngReachesEnd(ReadOnlySpan<byte> bytes)
    {
        long pos = PngSignature.Length;
        while (pos + 8 <= bytes.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)pos..]);
            bool isEnd = bytes.Slice((int)pos + 4, 4).SequenceEqual("IEND"u8);
            // Length, type, data and CRC; a uint length cannot overflow the long.
            pos += 12L + length;
            if (pos > bytes.Length) return false;
            if (isEnd) return true;
        }
        return false;
    }

    /// <summary>
    /// The number of start-of-scan markers a JPEG's marker walk meets before its end (or before the bytes stop or
    /// stop looking like markers, which the decoder then reports). Baseline files have one scan per component set;
    /// encoders write about ten for progressive ones.
    /// </summary>
    public static int JpegScanCount(ReadOnlySpan<byte> bytes)
    {
        int scans = 0;
        int pos = 2;
        while (pos + 1 < bytes.Length)
        {
            if (bytes[pos] != 0xFF) return scans;
            byte marker = bytes[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte before a marker
            if (marker == 0xD9) return scans; // end of image
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD7) { pos += 2; continue; } // no length field
            if (pos + 3 >= bytes.Length) return scans;
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(pos + 2)..]);
            if (length > bytes.Length - pos - 2) return scans;
            pos += 2 + length;
            if (marker != 0xDA) continue;
            scans++;
            // Entropy-coded data: 0xFF is stuffed as FF 00 and restart markers sit inside it, so the next
            // other marker ends the scan.
            while (pos + 1 < bytes.Length
                && !(bytes[pos] == 0xFF && bytes[pos + 1] != 0x00 && bytes[pos + 1] is < 0xD0 or > 0xD7))
                pos++;
        }
        return scans;
    }
}
