using System.Text.Json.Serialization;

namespace DiffusionAlign.Bench;

/// <summary>
/// One of the benchmark's performance targets (docs/benchmark.md) against what was measured, with where the
/// cost goes.
/// </summary>
public sealed record TargetCheck(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("comparison")] string Comparison,
    [property: JsonPropertyName("threshold")] double Threshold,
    [property: JsonPropertyName("measured")] double Measured,
    [property: JsonPropertyName("met")] bool Met,
    [property: JsonPropertyName("shortfall")] double Shortfall,
    [property: JsonPropertyName("where_it_goes")] string WhereItGoes)
{
    public static TargetCheck AtLeast(string target, double threshold, double measured, string whereItGoes) =>
        new(target, ">=", threshold, measured, measured >= threshold, Math.Max(0, threshold - measured), whereItGoes);

    public static TargetCheck AtMost(string target, double threshold, double measured, string whereItGoes) =>
        new(target, "<=", threshold, measured, measured <= threshold, Math.Max(0, measured - threshold), whereItGoes);
}
