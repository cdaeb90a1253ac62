using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DiffusionAlign.Runtime;

namespace DiffusionAlign.Models;

/// <summary>
/// Reads and writes model configs in the diffusers/transformers <c>config.json</c> form:
/// snake_case keys, keys that would change the architecture in ways we do not build refused with a clear
/// message, and keys nobody here reads ignored with one <see cref="Warnings"/> line per config, as diffusers
/// does ("... are not expected and will be ignored"), so a typo or a newer upstream feature does not pass
/// silently.
/// </summary>
internal static class ConfigJson
{
    // Bookkeeping transformers writes into every config.json (diffusers' own starts with '_'); it never
    // describes the architecture. A full CLIPConfig read as a text config still warns, about text_config.
    private static readonly HashSet<string> MetadataKeys =
        ["architectures", "model_type", "torch_dtype", "dtype", "transformers_version"];

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // Named so UnusedKeys can ask for a type's metadata before the first (de)serialization would set it.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static string Write<T>(T config) => JsonSerializer.Serialize(config, Options);

    /// <summary>
    /// Parses <paramref name="json"/> as a <typeparamref name="T"/>. <paramref name="neutralValues"/>
    /// lists keys we do not model together with the only value that keeps the architecture we build
    /// (a key that is absent or has that value is fine); <paramref name="inertKeys"/> lists keys the upstream
    /// class reads that cannot change what we build or compute. Any other key that no property of
    /// <typeparamref name="T"/> maps is reported in one warning.
    /// </summary>
    public static T Read<T>(
        string json, string what, IReadOnlyDictionary<string, JsonNode?> neutralValues,
        IReadOnlySet<string>? inertKeys = null)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions
            {
                // A key given twice would otherwise surface as an ArgumentException from JsonObject, and the
                // upstream readers silently keep the last one; either way the file says two things: it is refused.
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                AllowDuplicateProperties = false,
            });
            // An escaped lone surrogate ("\ud800") parses but throws wherever its key or value is first read as a
            // string; writing the tree once reads them all here, where the error can name the file.
            root?.ToJsonString();
        }
        catch (JsonException e)
        {
            // One line: the reader quotes the rest of the file after an invalid literal, newlines and all.
            throw new DiffusionAlignException($"{what} is not valid JSON: {e.Message.ReplaceLineEndings(" ")}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new DiffusionAlignException($"{what} holds a string that is not valid Unicode: {e.Message}", e);
        }

        if (root is not JsonObject obj) throw new DiffusionAlignException($"{what} must be a JSON object");

        RefuseNonNeutral(obj, what, neutralValues);
        T config;
        try
        {
            config = obj.Deserialize<T>(Options) ?? throw new DiffusionAlignException($"{what} is empty");
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
        WarnAboutUnusedKeys<T>(obj, what, neutralValues, inertKeys);
        return config;
    }

    /// <summary>
    /// Runs a config's <paramref name="validate"/>, so that its error names the file: <paramref name="what"/>
    /// ("VAE config /m/vae/config.json") replaces the bare <paramref name="kind"/> prefix ("VAE config") that
    /// Validate gives when called on a config built in code.
    /// </summary>
    public static T Validated<T>(T config, string what, string kind, Action validate)
    {
        try
        {
            validate();
            return config;
        }
        catch (DiffusionAlignException e)
        {
            string prefix = kind + ": ";
            string problem = e.Message.StartsWith(prefix, StringComparison.Ordinal)
                ? e.Message[prefix.Length..]
                : e.Message;
            throw new DiffusionAlignException($"{what}: {problem}", e);
        }
    }

    /// <summary>
    /// The checks of <see cref="Read{T}"/> for a config that its own serializer has already read:
    /// refuses keys set to a value we do not implement, then warns about the keys nothing here uses.
    /// </summary>
    public static void CheckKeys<T>(
        JsonObject obj, string what, IReadOnlyDictionary<string, JsonNode?> neutralValues,
        IReadOnlySet<string>? inertKeys = null)
    {
        RefuseNonNeutral(obj, what, neutralValues);
        WarnAboutUnusedKeys<T>(obj, what, neutralValues, inertKeys);
    }

    // The keys no property of T maps that are neither neutral, inert nor metadata (diffusers' _class_name,
    // _diffusers_version, _name_or_path, ...), in file order.
    private static List<string> UnusedKeys<T>(
        JsonObject obj, IReadOnlyDictionary<string, JsonNode?> neutralValues, IReadOnlySet<string>? inertKeys)
    {
        // The serializer's own view of the names, so JsonPropertyName, naming policies and JsonIgnore all count.
        var mapped = Options.GetTypeInfo(typeof(T)).Properties.Select(p => p.Name).ToHashSet();
        return obj.Select(kv => kv.Key)
            .Where(key => !key.StartsWith('_') && !MetadataKeys.Contains(key) && !mapped.Contains(key)
                && !neutralValues.ContainsKey(key) && inertKeys?.Contains(key) != true)
            .ToList();
    }

    private static void RefuseNonNeutral(JsonObject obj, string what, IReadOnlyDictionary<string, JsonNode?> neutral)
    {
        foreach (var (key, supported) in neutral)
        {
            if (!obj.TryGetPropertyValue(key, out var given)) continue;
            if (!JsonNode.DeepEquals(given, supported))
                throw new DiffusionAlignException(
                    $"{what} sets {key} = {given?.ToJsonString() ?? "null"}, which DiffusionAlign does not implement "
                    + $"(supported: {supported?.ToJsonString() ?? "null"})");
        }
    }

    private static void WarnAboutUnusedKeys<T>(
        JsonObject obj, string what, IReadOnlyDictionary<string, JsonNode?> neutralValues,
        IReadOnlySet<string>? inertKeys)
    {
        var unused = UnusedKeys<T>(obj, neutralValues, inertKeys);
        if (unused.Count > 0)
            Warnings.Report($"{what}: ignoring keys DiffusionAlign does not use: {string.Join(", ", unused)}");
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
