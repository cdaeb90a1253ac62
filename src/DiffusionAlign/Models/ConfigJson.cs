using System.Text.Json;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Models;

/// <summary>
/// Reads and writes model configs in the diffusers/transformers <c>config.json</c> form:
/// snake_case keys, unknown keys (such as <c>_class_name</c>) ignored, and keys that would change
/// the architecture in ways we do not build refused with a clear message.
/// </summary>
internal static class ConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static string Write<T>(T config) => JsonSerializer.Serialize(config, Options);

    /// <summary>
    /// Parses <paramref name="json"/> as a <typeparamref name="T"/>. <paramref name="neutralValues"/>
    /// lists keys we do not model together with the only value that keeps the architecture we build
    /// (a key that is absent or has that value is fine).
    /// </summary>
    public static T Read<T>(string json, string what, IReadOnlyDictionary<string, JsonNode?> neutralValues)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true
            });
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{what} is not valid JSON: {e.Message}", e);
        }

        if (root is not JsonObject obj) throw new DiffusionAlignException($"{what} must be a JSON object");

        foreach (var (key, neutral) in neutralValues)
        {
            if (!obj.TryGetPropertyValue(key, out var given)) continue;
            if (!JsonNode.DeepEquals(given, neutral))
                throw new DiffusionAlignException(
                    $"{what} sets {key} = {given?.ToJsonString() ?? "null"}, which DiffusionAlign does not implement "
                    + $"(supported: {neutral?.ToJsonString() ?? "null"})");
        }

        try
        {
            return obj.Deserialize<T>(Options) ?? throw new DiffusionAlignException($"{what} is empty");
        }
        catch (JsonException e)
        {
            var key = e.Path?.TrimStart('$', '.');
            throw new DiffusionAlignException(
                string.IsNullOrEmpty(key)
                    ? $"{what} is malformed: {e.Message}"
                    : $"{what}: {key} has a value of the wrong type",
                e);
        }
    }

    public static string ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiffusionAlignException($"cannot read {what} '{path}': {e.Message}", e);
        }
    }
}
