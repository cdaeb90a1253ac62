using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Tolerant reads of JSON written by this and future versions: a key that is missing or holds another
/// type reads as null rather than throwing, so the report shows what is there and skips the rest.
/// </summary>
internal static class JsonRead
{
    public static readonly JsonDocumentOptions Lenient = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>A number, or a number written as a string (NaN and ±Infinity are written so).</summary>
    public static double? Number(JsonNode? node)
    {
        if (node is not JsonValue value) return null;
        switch (value.GetValueKind())
        {
            case JsonValueKind.Number:
                // TryGetValue: whatever a file holds (1e400, say), reading it must not throw.
                return value.TryGetValue<double>(out var number) ? number : null;
            case JsonValueKind.String:
                return double.TryParse(value.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture,
                    out var parsed) ? parsed : null;
            default:
                return null;
        }
    }

    public static double? Number(JsonObject? obj, string key) => obj is null ? null : Number(obj[key]);

    public static int? Integer(JsonObject? obj, string key) =>
        Number(obj, key) is double d && double.IsFinite(d) && Math.Abs(d) < int.MaxValue ? (int)Math.Round(d) : null;

    public static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String
        ? v.GetValue<string>()
        : null;

    /// <summary>Any scalar as display text: strings as they are, numbers compactly, booleans as true/false.</summary>
    public static string Scalar(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && Number(v) is double d => Format.Number(d),
        _ => node.ToJsonString(),
    };

    public static bool IsScalar(JsonNode? node) => node is null or JsonValue;
}
