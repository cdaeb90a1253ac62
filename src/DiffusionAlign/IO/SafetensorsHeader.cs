using System.Text;
using System.Text.Json;

namespace DiffusionAlign.IO;

/// <summary>
/// The parsed header of a safetensors file: its tensors in header order, the free-form
/// <c>__metadata__</c> strings, and where the data section starts (8 + header length).
/// </summary>
public sealed record SafetensorsHeader(
    IReadOnlyList<SafetensorsEntry> Entries,
    IReadOnlyDictionary<string, string> Metadata,
    long DataStart)
{
    /// <summary>The entry with this name, or null.</summary>
    public SafetensorsEntry? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>Largest header accepted; real checkpoints have headers of a few hundred kilobytes.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 =
        new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Parses and checks a header: every field present and well typed, every byte range inside the
    /// <paramref name="dataLength"/>-byte data section and sized to its shape, and the ranges tiling the
    /// section with no overlap or gap.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">Any violation; the message names
    /// <paramref name="path"/>.</exception>
    internal static SafetensorsHeader Parse(byte[] headerBytes, long dataStart, long dataLength, string path)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw new SafetensorsFormatException(path, "header is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(
                path, $"header is not valid JSON ({e.Message.ReplaceLineEndings(" ")})", e);
        }

        using (document)
        {
            try
            {
                return Parse(document.RootElement, dataStart, dataLength, path);
            }
            catch (InvalidOperationException e)
            {
                // JSON allows an escaped lone surrogate ("\ud800"), which no .NET string holds: reading such a
                // name or value throws here rather than while parsing, and the file is as malformed as bad UTF-8.
                throw new SafetensorsFormatException(
                    path, $"header holds a string that is not valid Unicode ({e.Message})", e);
            }
        }
    }

    private static SafetensorsHeader Parse(JsonElement root, long dataStart, long dataLength, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"header must be a JSON object, got {root.ValueKind}");

        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw new SafetensorsFormatException(path, $"tensor '{property.Name}' appears twice in the header");
            if (property.Name == MetadataKey)
            {
                ParseMetadata(property.Value, metadata, path);
            }
            else
            {
                entries.Add(ParseEntry(property.Name, property.Value, dataLength, path));
            }
        }
        CheckTiling(entries, dataLength, path);
        return new SafetensorsHeader(entries, metadata, dataStart);
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, "__metadata__ must be an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException(path, $"__metadata__ value for '{item.Name}' is not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafetensorsFormatException(path, $"__metadata__ key '{item.Name}' appears twice");
        }
    }

    private static SafetensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"tensor '{name}': header entry must be an object");
        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtypeElement is null: dtypeElement = field.Value; break;
                case "shape" when shapeElement is null: shapeElement = field.Value; break;
                case "data_offsets" when offsetsElement is null: offsetsElement = field.Value; break;
                case "dtype" or "shape" or "data_offsets":
                    throw new SafetensorsFormatException(path, $"tensor '{name}': field '{field.Name}' appears twice");
                default:
                    throw new SafetensorsFormatException(path, $"tensor '{name}': unexpected field '{field.Name}'");
            }
        }
        if (dtypeElement is not { } dtypeJson)
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing field 'dtype'");
        if (shapeElement is not { } shapeJson)
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing field 'shape'");
        if (offsetsElement is not { } offsetsJson)
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing field 'data_offsets'");

        if (dtypeJson.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, $"tensor '{name}': dtype must be a string");
        string word = dtypeJson.GetString()!;
        var dtype = SafetensorsDTypes.Parse(word)
            ?? throw new SafetensorsFormatException(path, $"tensor '{name}': unknown dtype '{word}'");

        var shape = ReadIntegers(shapeJson, name, "shape", path);
        var offsets = ReadIntegers(offsetsJson, name, "data_offsets", path);
        if (offsets.Length != 2)
            throw new SafetensorsFormatException(
                path, $"tensor '{name}': data_offsets must be [begin, end], got {offsets.Length} numbers");
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw new SafetensorsFormatException(
                path, $"tensor '{name}': data_offsets end {end} is before begin {begin}");
        if (end > dataLength)
            throw new SafetensorsFormatException(
                path, $"tensor '{name}': data_offsets [{begin}, {end}] run past the {dataLength}-byte data section");

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (product, dim) => product * dim) * dtype.Size());
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(
                path, $"tensor '{name}': shape [{string.Join(", ", shape)}] is too large");
        }
        if (end - begin != expected)
            throw new SafetensorsFormatException(path,
                $"tensor '{name}': {end - begin} bytes stored "
                + $"but shape [{string.Join(", ", shape)}] of {word} needs {expected}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement value, string name, string field, string path)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(path, $"tensor '{name}': {field} must be an array of integers");
        var numbers = new long[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number))
                throw new SafetensorsFormatException(
                    path, $"tensor '{name}': {field} holds '{item.GetRawText()}', not an integer");
            if (number < 0)
                throw new SafetensorsFormatException(path, $"tensor '{name}': {field} holds negative {number}");
            numbers[i++] = number;
        }
        return numbers;
    }

    /// <summary>The format requires the byte ranges to cover the data section exactly: no overlap, no hole.</summary>
    private static void CheckTiling(List<SafetensorsEntry> entries, long dataLength, string path)
    {
        long position = 0;
        SafetensorsEntry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < position)
                throw new SafetensorsFormatException(path, $"tensors '{previous!.Name}' and '{entry.Name}' overlap");
            if (entry.Begin > position)
                throw new SafetensorsFormatException(
                    path, $"{entry.Begin - position} unused bytes before tensor '{entry.Name}' (at {position})");
            position = entry.End;
            previous = entry;
        }
        if (position != dataLength)
            throw new SafetensorsFormatException(path, $"{dataLength - position} unused bytes after the last tensor");
    }
}
