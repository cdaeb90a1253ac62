// online.json: an online run's settings and its finished rounds, rewritten after every round.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// The content of <c>online.json</c>: the online settings, the policy's recipe, and one row per finished round.
/// Written when a run starts (no rounds yet) and after every round; a resumed run reads its finished rounds and
/// its settings from here.
/// </summary>
public sealed record OnlineSummary(
    [property: JsonPropertyName("online")] OnlineConfig Online,
    [property: JsonPropertyName("align")] AlignConfig Align,
    [property: JsonPropertyName("rounds")] IReadOnlyList<OnlineRoundReport> Rounds)
{
    /// <summary>snake_case names and enum words, as the project's other result files.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
