using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionAlign.IO;

namespace DiffusionAlign.Bench;

/// <summary>
/// bench.json: one JSON object whose keys are sections. <c>dalign bench</c> writes the main ones and
/// <c>dalign bench --sd15</c> the <c>sd15</c> one (an hour apart, on purpose); each run replaces its own keys
/// and keeps the other's, and every write is atomic, so neither run can lose the other's results.
/// </summary>
public static class BenchJson
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>
    /// Sets <paramref name="key"/> to <paramref name="section"/> in the file at <paramref name="path"/> (created
    /// when missing), keeping every other key and its place.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The file is not a JSON object; it is left as it is.</exception>
    public static void WriteSection(string path, string key, JsonNode section)
    {
        var root = Read(path);
        root[key] = section;
        Write(path, root);
    }

    /// <summary>
    /// Writes <paramref name="results"/>, then the existing file's sections named in <paramref name="kept"/> that
    /// <paramref name="results"/> does not have. An existing file that cannot be read keeps nothing.
    /// </summary>
    public static void WriteKeeping(string path, JsonObject results, IEnumerable<string> kept)
    {
        JsonObject? existing;
        try
        {
            existing = Read(path);
        }
        catch (DiffusionAlignException)
        {
            existing = null;
        }
        foreach (string key in kept)
            if (!results.ContainsKey(key) && existing?[key] is { } section)
                results[key] = section.DeepClone();
        Write(path, results);
    }

    /// <summary>The file's sections; empty when it does not exist.</summary>
    /// <exception cref="DiffusionAlignException">The file is not a JSON object.</exception>
    public static JsonObject Read(string path)
    {
        if (!File.Exists(path)) return new JsonObject();
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new DiffusionAlignException($"{path} is not a JSON object; move it away to write a new one");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException(
                $"{path} is not valid JSON ({e.Message}); move it away to write a new one");
        }
    }

    private static void Write(string path, JsonObject root) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, Indented);
            root.WriteTo(writer);
        });
}
