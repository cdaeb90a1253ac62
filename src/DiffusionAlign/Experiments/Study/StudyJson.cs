using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.Distributed;
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
    public static T? TryLoad<T>(string path) where T : class =>
        File.Exists(path) ? Parse<T>(path, File.ReadAllText(path)) : null;

    /// <summary>
    /// The file's value as rank 0 of <paramref name="world"/> reads it, on every process (null when rank 0 finds no
    /// file): every rank goes on from the same saved result.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The file exists but is not what it should hold.</exception>
    public static T? TryLoad<T>(string path, ICommunicator world) where T : class
    {
        if (world.Size == 1) return TryLoad<T>(path);
        var bytes = world.ReadOnRoot(path);
        if (bytes is null) return null;
        // Decoded as File.ReadAllText decodes (a byte-order mark chooses the encoding, else UTF-8).
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, true);
        return Parse<T>(path, reader.ReadToEnd());
    }

    /// <exception cref="DiffusionAlignException">The file is missing or not what it should hold.</exception>
    public static T Load<T>(string path, string missing) where T : class =>
        TryLoad<T>(path) ?? throw new DiffusionAlignException(missing);

    /// <inheritdoc cref="Load{T}(string, string)"/>
    public static T Load<T>(string path, string missing, ICommunicator world) where T : class =>
        TryLoad<T>(path, world) ?? throw new DiffusionAlignException(missing);

    private static T Parse<T>(string path, string json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new DiffusionAlignException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException(
                $"{path} is not a valid study file ({e.Message}); delete it to redo that part", e);
        }
    }
}
