using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// A mutated JSON text, what was done to it, the top-level key it touched (null for byte damage), and whether the
/// key's value (or a part of it) was replaced, so that an error it causes can be expected to name the key.
/// </summary>
public sealed record JsonMutation(string Text, string Description, string? Key, bool ReplacesValue = false);

/// <summary>
/// Seeded structural mutations of a JSON config, the mistakes a hand edit or another tool's writer makes: numbers
/// replaced by huge, negative, fractional or out-of-range ones, values of the wrong type, keys deleted, renamed,
/// added or given twice, arrays emptied or lengthened, nesting deeper than any parser default. A quarter of the
/// cases damage the text's bytes instead (<see cref="FuzzBytes"/>).
/// </summary>
public static class FuzzJson
{
    // Written raw, so values no double or long holds (1e400, 2^63) reach the parser as the file would hold them.
    private static readonly string[] Numbers =
    [
        "0", "-1", "-0", "1.5", "-2147483648", "2147483647", "2147483648", "4294967296", "65536", "1e6", "1e308",
        "-1e308", "1e400", "1e-400", "9223372036854775808", "99999999999999999999999999", "0.000001", "3",
    ];

    private static readonly string[] WrongTypes =
    [
        "\"\"", "\"x\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "true", "false", "null", "[]", "{}", "[1, 2]",
        "{\"a\": 1}", "[null]", "[\"x\"]", "[[1]]", "\"\\u0000\"", "\"ü☃\\ud800\"",
    ];

    // Keys a careless edit or a foreign writer produces; LoneSurrogate is swapped for its escape once written.
    private static readonly Func<string, string>[] Renames =
    [
        name => name.ToUpperInvariant(), name => name + "_", _ => "", name => name + LoneSurrogate,
        _ => "__metadata__", name => new string('k', 5000) + name,
    ];

    private const string LoneSurrogate = "LONE_SURROGATE";

    /// <summary>
    /// Mutates <paramref name="json"/>, a JSON object's text, written back indented or, for a JSON Lines row,
    /// on one line.
    /// </summary>
    public static JsonMutation Mutate(string json, Random rng, bool indented = true)
    {
        if (rng.Next(4) == 0)
        {
            var bytes = FuzzBytes.Mutate(Encoding.UTF8.GetBytes(json), rng, out string what);
            return new(Encoding.UTF8.GetString(bytes), what, null);
        }
        var root = JsonNode.Parse(json)!.AsObject();
        var slots = new List<(JsonNode Parent, string? Name, int Index, string Path, string Key)>();
        Collect(root, "$", null, slots);
        var (parent, name, index, path, key) = slots[rng.Next(slots.Count)];
        JsonNode? current = name is not null ? parent[name] : parent[index];
        (JsonObject Target, string Key, string Raw)? duplicate = null;
        string description;
        bool replacesValue = false;
        switch (rng.Next(8))
        {
            case 0 or 1:
            {
                string raw = current is JsonValue && current.GetValueKind() == JsonValueKind.Number || rng.Next(2) == 0
                    ? Numbers[rng.Next(Numbers.Length)]
                    : WrongTypes[rng.Next(WrongTypes.Length)];
                Replace(parent, name, index, Raw(raw));
                description = $"{path} = {raw}";
                replacesValue = true;
                break;
            }
            case 2:
            {
                string raw = WrongTypes[rng.Next(WrongTypes.Length)];
                Replace(parent, name, index, Raw(raw));
                description = $"{path} = {raw}";
                replacesValue = true;
                break;
            }
            case 3 when name is not null:
                parent.AsObject().Remove(name);
                description = $"delete {path}";
                break;
            case 3:
                parent.AsArray().RemoveAt(index);
                description = $"delete {path}";
                break;
            case 4 when name is not null:
            {
                var obj = parent.AsObject();
                obj.Remove(name);
                string renamed = Renames[rng.Next(Renames.Length)](name);
                obj[renamed] = current;
                description = $"rename {path} to {renamed}";
                break;
            }
            case 4:
                parent.AsArray().Insert(index, current?.DeepClone());
                description = $"repeat {path}";
                break;
            case 5 when name is not null:
                duplicate = (parent.AsObject(), name, rng.Next(2) == 0
                    ? Numbers[rng.Next(Numbers.Length)] : WrongTypes[rng.Next(WrongTypes.Length)]);
                description = $"give {path} twice, the second {duplicate.Value.Raw}";
                replacesValue = true;
                break;
            case 5 or 6:
            {
                string deep = new string('[', 100) + new string(']', 100);
                Replace(parent, name, index, Raw(deep));
                description = $"{path} = 100 nested arrays";
                replacesValue = true;
                break;
            }
            default:
            {
                string added = rng.Next(2) == 0 ? "unknown_key" : "__proto__";
                root[added] = Raw(WrongTypes[rng.Next(WrongTypes.Length)]);
                description = $"add {added}";
                key = added;
                break;
            }
        }
        return new(Write(root, duplicate, indented), description, key, replacesValue);
    }

    private static void Collect(JsonNode node, string path, string? key,
        List<(JsonNode, string?, int, string, string)> slots)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, child) in obj.ToList())
            {
                string childPath = $"{path}.{name}";
                slots.Add((obj, name, -1, childPath, key ?? name));
                if (child is not null) Collect(child, childPath, key ?? name, slots);
            }
        }
        else if (node is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
            {
                slots.Add((array, null, i, $"{path}[{i}]", key!));
                if (array[i] is { } child) Collect(child, $"{path}[{i}]", key, slots);
            }
        }
    }

    private static void Replace(JsonNode parent, string? name, int index, JsonNode? value)
    {
        if (name is not null) parent[name] = value;
        else parent[index] = value;
    }

    /// <summary>
    /// A placeholder that <see cref="Write"/> replaces by <paramref name="raw"/> verbatim: a number no CLR type
    /// holds, a lone surrogate escape or deep nesting would not survive a round trip through a node.
    /// </summary>
    private static JsonNode Raw(string raw) => JsonValue.Create(RawMarker + raw);

    private const string RawMarker = "\u0001raw:";

    /// <summary>Writes the tree, giving one key of one object a second time when asked (JsonObject cannot).</summary>
    private static string Write(JsonNode root, (JsonObject Target, string Key, string Raw)? duplicate, bool indented)
    {
        using var stream = new MemoryStream();
        var options = new JsonWriterOptions { Indented = indented, SkipValidation = true };
        using (var writer = new Utf8JsonWriter(stream, options))
            WriteNode(writer, root, duplicate);
        return Encoding.UTF8.GetString(stream.ToArray()).Replace(LoneSurrogate, "\\ud800", StringComparison.Ordinal);
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node,
        (JsonObject Target, string Key, string Raw)? duplicate)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, child) in obj)
                {
                    writer.WritePropertyName(name);
                    WriteNode(writer, child, duplicate);
                    if (duplicate is { } d && ReferenceEquals(d.Target, obj) && d.Key == name)
                    {
                        writer.WritePropertyName(name);
                        writer.WriteRawValue(d.Raw, skipInputValidation: true);
                    }
                }
                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var child in array) WriteNode(writer, child, duplicate);
                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            case JsonValue value
                when value.TryGetValue(out string? text) && text.StartsWith(RawMarker, StringComparison.Ordinal):
                writer.WriteRawValue(text[RawMarker.Length..], skipInputValidation: true);
                break;
            default:
                writer.WriteRawValue(node.ToJsonString(), skipInputValidation: true);
                break;
        }
    }
}
