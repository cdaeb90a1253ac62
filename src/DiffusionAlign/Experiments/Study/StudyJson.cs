using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.IO;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// How the study writes and reads its JSON: snake_case names, enums as kebab-case words, atomic writes (a killed
/// study leaves each file whole or absent), NaN written as a literal rather than failing a whole save.
/// </summary>
public static class StudyJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static void Save<T>(string path, T value) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, value, Options));

    /// <summary>The file's value, or null when the file does not exist.</summary>
    /// <exception cref="DiffusionAlignException">The file exists but is not what it should hold.</exception>
    public static T? TryLoad<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                ?? throw new DiffusionAlignException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException(
                $"{path} is not a valid study file ({e.Message}); delete it to redo that part", e);
        }
    }

    /// <exception cref="DiffusionAlignException">The file is missing or not what it should hold.</exception>
    public static T Load<T>(string path, string missing) where T : class =>
        TryLoad<T>(path) ?? throw new DiffusionAlignException(missing);
}
