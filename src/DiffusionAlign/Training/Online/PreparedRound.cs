// What a round's data step produced before the policy trains: kept in the round's folder, so a resumed run can
// train the round without redrawing its labels.
using System.Text.Json.Serialization;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// <c>round.json</c> in a round's folder, written once its gold pairs, reward model and silver pairs are on disk:
/// its presence marks the round's data as complete. Fields as in <see cref="OnlineRoundReport"/>; "before" is the
/// round's starting policy on the monitor images, scored by the round's reward model; every image's scores are
/// kept, since the round's hacking rule compares them image by image with the trained policy's.
/// </summary>
public sealed record PreparedRound(
    [property: JsonPropertyName("round_gold_labels")] int RoundGoldLabels,
    [property: JsonPropertyName("silver_labels")] int SilverLabels,
    [property: JsonPropertyName("gold_tau")] double GoldTau,
    [property: JsonPropertyName("gold_true_agreement")] double GoldTrueAgreement,
    [property: JsonPropertyName("silver_tau")] double? SilverTau,
    [property: JsonPropertyName("silver_true_agreement")] double? SilverTrueAgreement,
    [property: JsonPropertyName("reward_held_out_accuracy")] double? RewardHeldOutAccuracy,
    [property: JsonPropertyName("monitor_before")] MonitorScores MonitorBefore)
{
    /// <summary>The starting policy's mean learned reward, written beside the images' scores for a reader.</summary>
    [JsonPropertyName("learned_reward_before")]
    public double LearnedRewardBefore => MonitorBefore.Means.Learned;

    /// <summary>The starting policy's mean true reward.</summary>
    [JsonPropertyName("true_reward_before")]
    public double TrueRewardBefore => MonitorBefore.Means.True;
}
