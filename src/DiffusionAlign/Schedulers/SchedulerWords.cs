using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// The words diffusers uses in <c>scheduler_config.json</c> for the schedule enums, so a config copied
/// from a Hugging Face checkpoint parses unchanged and ours can be read back by diffusers.
/// </summary>
public static class SchedulerWords
{
    private static readonly (string Word, BetaSchedule Value)[] BetaWords =
    [
        ("linear", BetaSchedule.Linear),
        ("scaled_linear", BetaSchedule.ScaledLinear),
        ("squaredcos_cap_v2", BetaSchedule.SquaredCosCapV2)
    ];

    private static readonly (string Word, PredictionType Value)[] PredictionWords =
        [("epsilon", PredictionType.Epsilon), ("v_prediction", PredictionType.VPrediction)];

    private static readonly (string Word, TimestepSpacing Value)[] SpacingWords =
    [
        ("leading", TimestepSpacing.Leading),
        ("trailing", TimestepSpacing.Trailing),
        ("linspace", TimestepSpacing.Linspace)
    ];

    /// <exception cref="DiffusionAlignException">The word is not a known beta schedule.</exception>
    public static BetaSchedule ParseBetaSchedule(string word) => Parse(BetaWords, word, "beta_schedule");

    /// <exception cref="DiffusionAlignException">The word is not a supported prediction type.</exception>
    public static PredictionType ParsePredictionType(string word) => Parse(PredictionWords, word, "prediction_type");

    /// <exception cref="DiffusionAlignException">The word is not a known timestep spacing.</exception>
    public static TimestepSpacing ParseTimestepSpacing(string word) => Parse(SpacingWords, word, "timestep_spacing");

    public static string ToWord(BetaSchedule value) => Word(BetaWords, value);

    public static string ToWord(PredictionType value) => Word(PredictionWords, value);

    public static string ToWord(TimestepSpacing value) => Word(SpacingWords, value);

    private static T Parse<T>((string Word, T Value)[] words, string word, string key) where T : struct, Enum
    {
        foreach (var (w, v) in words)
            if (string.Equals(w, word, StringComparison.Ordinal)) return v;
        throw new DiffusionAlignException(
            $"unknown {key} '{word}' (expected one of: {string.Join(", ", words.Select(p => p.Word))})");
    }

    private static string Word<T>((string Word, T Value)[] words, T value) where T : struct, Enum
    {
        foreach (var (w, v) in words)
            if (EqualityComparer<T>.Default.Equals(v, value)) return w;
        throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }

    /// <summary>Base for the JSON converters: the enum is stored as its diffusers word.</summary>
    public abstract class WordConverter<T> : JsonConverter<T> where T : struct, Enum
    {
        protected abstract T Parse(string word);

        protected abstract string Format(T value);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
                throw new JsonException($"expected a string for {typeof(T).Name}");
            return Parse(reader.GetString()!);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Format(value));
    }

    public sealed class BetaScheduleConverter : WordConverter<BetaSchedule>
    {
        protected override BetaSchedule Parse(string word) => ParseBetaSchedule(word);

        protected override string Format(BetaSchedule value) => ToWord(value);
    }

    public sealed class PredictionTypeConverter : WordConverter<PredictionType>
    {
        protected override PredictionType Parse(string word) => ParsePredictionType(word);

        protected override string Format(PredictionType value) => ToWord(value);
    }

    public sealed class TimestepSpacingConverter : WordConverter<TimestepSpacing>
    {
        protected override TimestepSpacing Parse(string word) => ParseTimestepSpacing(word);

        protected override string Format(TimestepSpacing value) => ToWord(value);
    }
}
