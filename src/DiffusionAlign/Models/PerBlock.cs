using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Models;

/// <summary>
/// A config value that diffusers accepts either once for every UNet block (<c>8</c>) or once per
/// block (<c>[5, 10, 20, 20]</c>), such as <c>attention_head_dim</c> or <c>layers_per_block</c>.
/// Remembers which form it was given in, so a config.json round-trips unchanged.
/// </summary>
[JsonConverter(typeof(PerBlockJsonConverterFactory))]
public sealed class PerBlock<T> : IEquatable<PerBlock<T>>
    where T : notnull
{
    private PerBlock(IReadOnlyList<T> values, bool isUniform)
    {
        if (values.Count == 0)
            throw new ArgumentException("a per-block value needs at least one entry", nameof(values));
        Values = values;
        IsUniform = isUniform;
    }

    /// <summary>The values as given: one entry when <see cref="IsUniform"/>, else one per block.</summary>
    public IReadOnlyList<T> Values { get; }

    /// <summary>True when one value was given for all blocks.</summary>
    public bool IsUniform { get; }

    /// <summary>The same value for every block.</summary>
    public static PerBlock<T> All(T value) => new([value], isUniform: true);

    /// <summary>One value per block, in down-block order.</summary>
    public static PerBlock<T> Each(params T[] values) => new([.. values], isUniform: false);

    public static implicit operator PerBlock<T>(T value) => All(value);

    /// <summary>The value for down block <paramref name="block"/> (0-based).</summary>
    public T For(int block) => IsUniform ? Values[0] : Values[block];

    public bool Equals(PerBlock<T>? other) =>
        other is not null && IsUniform == other.IsUniform && Values.SequenceEqual(other.Values);

    public override bool Equals(object? obj) => Equals(obj as PerBlock<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(IsUniform);
        foreach (var value in Values) hash.Add(value);
        return hash.ToHashCode();
    }

    public override string ToString() => IsUniform ? $"{Values[0]}" : $"[{string.Join(", ", Values)}]";

    internal sealed class JsonConverter : JsonConverter<PerBlock<T>>
    {
        public override PerBlock<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            try
            {
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    var values = JsonSerializer.Deserialize<T[]>(ref reader, options);
                    return values is { Length: > 0 } ? Each(values) : throw new JsonException();
                }

                var value = JsonSerializer.Deserialize<T>(ref reader, options);
                return value is not null ? All(value) : throw new JsonException();
            }
            catch (JsonException e)
            {
                // A fresh exception without message or path makes System.Text.Json report this
                // property's path (e.g. $.layers_per_block) instead of the nested reader's "$".
                throw new JsonException(null, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, PerBlock<T> value, JsonSerializerOptions options)
        {
            if (value.IsUniform) JsonSerializer.Serialize(writer, value.Values[0], options);
            else JsonSerializer.Serialize(writer, value.Values, options);
        }
    }
}

/// <summary>Creates the JSON converter of each <see cref="PerBlock{T}"/> instantiation.</summary>
internal sealed class PerBlockJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(PerBlock<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
    {
        var converterType = typeof(PerBlock<>.JsonConverter).MakeGenericType(typeToConvert.GetGenericArguments()[0]);
        return (JsonConverter)Activator.CreateInstance(converterType)!;
    }
}
