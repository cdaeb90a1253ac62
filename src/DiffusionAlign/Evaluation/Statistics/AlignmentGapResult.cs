using System.Text.Json.Serialization;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// Idealized minus observed ranking accuracy over <see cref="N"/> held-out pairs, with a 95% interval.
/// </summary>
public sealed record AlignmentGapResult(
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("ci_low")] double CiLow,
    [property: JsonPropertyName("ci_high")] double CiHigh,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("ci_method")] string CiMethod);
