using System.Text.Json.Serialization;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// The evaluation's comparisons scored by the shapes world's second judge instead of the reward, under the same
/// rules: ties up to the judge's own <see cref="Resolution"/>, the same plain and prompt-clustered intervals.
/// </summary>
public sealed record JudgeResults
{
    [JsonPropertyName("models")]
    public Dictionary<string, JudgeModelScores> Models { get; init; } = new();

    [JsonPropertyName("win_rate")]
    public Dictionary<string, WinRateEntry> WinRate { get; init; } = new();

    [JsonPropertyName("head_to_head")]
    public Dictionary<string, WinRateEntry> HeadToHead { get; init; } = new();

    /// <summary>Judge-score differences up to this are ties.</summary>
    [JsonPropertyName("resolution")]
    public double Resolution { get; init; }

    [JsonPropertyName("resolution_method")]
    public string ResolutionMethod { get; init; } = "";
}

/// <summary>One model's mean judge score with a 95% t interval and a prompt-clustered one.</summary>
public sealed record JudgeModelScores(
    [property: JsonPropertyName("mean_score")] double MeanScore,
    [property: JsonPropertyName("ci_low")] double CiLow,
    [property: JsonPropertyName("ci_high")] double CiHigh,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("ci_method")] string? CiMethod,
    [property: JsonPropertyName("clustered_ci_low")] double? ClusteredCiLow,
    [property: JsonPropertyName("clustered_ci_high")] double? ClusteredCiHigh,
    [property: JsonPropertyName("clustered_ci_method")] string? ClusteredCiMethod,
    [property: JsonPropertyName("prompts")] int? Prompts,
    [property: JsonPropertyName("seeds")] int? Seeds) : IClusteredEntry;

/// <summary>
/// A comparison the reward and the judge decide differently. Each side's verdict comes from its 95% interval
/// of the win rate of <see cref="Model"/> over <see cref="Vs"/>: above ½ "Model wins", below ½ "Vs wins",
/// otherwise "no clear winner".
/// </summary>
/// <param name="Section">Where the comparison lives: "win_rate" or "head_to_head".</param>
/// <param name="Key">Its key in that section.</param>
/// <param name="Interval">Which interval decided: "clustered", or "wilson" when there is no clustered one.</param>
public sealed record JudgeDisagreement(
    [property: JsonPropertyName("section")] string Section,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("vs")] string Vs,
    [property: JsonPropertyName("reward_verdict")] string RewardVerdict,
    [property: JsonPropertyName("judge_verdict")] string JudgeVerdict,
    [property: JsonPropertyName("reward_rate")] double RewardRate,
    [property: JsonPropertyName("reward_ci_low")] double RewardCiLow,
    [property: JsonPropertyName("reward_ci_high")] double RewardCiHigh,
    [property: JsonPropertyName("judge_rate")] double JudgeRate,
    [property: JsonPropertyName("judge_ci_low")] double JudgeCiLow,
    [property: JsonPropertyName("judge_ci_high")] double JudgeCiHigh,
    [property: JsonPropertyName("interval")] string Interval);
