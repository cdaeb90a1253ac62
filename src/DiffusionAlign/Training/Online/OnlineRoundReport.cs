// One finished round of online alignment: what it spent, how good its labels were, and the hacking diagnostics.
using System.Text.Json.Serialization;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// A finished round, as a row of <c>online.json</c> and a line of <c>online.jsonl</c>. "Monitor images" are
/// <see cref="OnlineConfig.MonitorSamples"/> fresh samples of a policy on fixed training prompts and noise;
/// "after" is this round's trained policy, "before" the policy it started from (the previous round's), both
/// scored by this round's learned reward model and by the true reward.
/// </summary>
/// <param name="Round">1-based.</param>
/// <param name="Step">The policy's optimizer steps at the end of the round (counted over the whole run).</param>
/// <param name="GoldLabels">Gold labels spent so far, this round's included.</param>
/// <param name="RoundGoldLabels">Gold labels drawn this round.</param>
/// <param name="SilverLabels">Pairs the learned reward model labelled this round.</param>
/// <param name="TrainingPairs">Pairs the policy trained on this round: all gold so far + this round's silver.</param>
/// <param name="GoldTau">Bradley–Terry τ of the gold labels (chosen in round 1, then kept: the same raters).</param>
/// <param name="GoldTrueAgreement">Share of this round's gold labels that agree with the true reward order.</param>
/// <param name="SilverTau">τ of the silver labels, on the learned model's scale (null without silver pairs).</param>
/// <param name="SilverTrueAgreement">Share of the silver labels that agree with the true reward order.</param>
/// <param name="RewardHeldOutAccuracy">The reward model's accuracy on its held-out gold labels (null without a
/// held-out split).</param>
/// <param name="LearnedReward">Mean learned reward of the trained policy's monitor images.</param>
/// <param name="TrueReward">Mean true reward of the trained policy's monitor images.</param>
/// <param name="Spearman">Spearman's rank correlation of the two rewards over those images (null if either is
/// constant).</param>
/// <param name="LearnedRewardBefore">Mean learned reward (this round's model) of the starting policy's images.</param>
/// <param name="TrueRewardBefore">Mean true reward of the starting policy's monitor images.</param>
/// <param name="Hacking">Whether <see cref="RewardHacking.Fires"/> for before → after.</param>
/// <param name="LearnedRewardChangeLow">Low end of the 95% interval of the per-image learned-reward change (null
/// with one monitor image); the High ends and the true reward's likewise (<see cref="MonitorChange"/>).</param>
public sealed record OnlineRoundReport(
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("gold_labels")] int GoldLabels,
    [property: JsonPropertyName("round_gold_labels")] int RoundGoldLabels,
    [property: JsonPropertyName("silver_labels")] int SilverLabels,
    [property: JsonPropertyName("training_pairs")] int TrainingPairs,
    [property: JsonPropertyName("gold_tau")] double GoldTau,
    [property: JsonPropertyName("gold_true_agreement")] double GoldTrueAgreement,
    [property: JsonPropertyName("silver_tau")] double? SilverTau,
    [property: JsonPropertyName("silver_true_agreement")] double? SilverTrueAgreement,
    [property: JsonPropertyName("reward_held_out_accuracy")] double? RewardHeldOutAccuracy,
    [property: JsonPropertyName("learned_reward")] double LearnedReward,
    [property: JsonPropertyName("true_reward")] double TrueReward,
    [property: JsonPropertyName("spearman")] double? Spearman,
    [property: JsonPropertyName("learned_reward_before")] double LearnedRewardBefore,
    [property: JsonPropertyName("true_reward_before")] double TrueRewardBefore,
    [property: JsonPropertyName("hacking")] bool Hacking,
    [property: JsonPropertyName("learned_reward_change_low")] double? LearnedRewardChangeLow = null,
    [property: JsonPropertyName("learned_reward_change_high")] double? LearnedRewardChangeHigh = null,
    [property: JsonPropertyName("true_reward_change_low")] double? TrueRewardChangeLow = null,
    [property: JsonPropertyName("true_reward_change_high")] double? TrueRewardChangeHigh = null)
{
    /// <summary>After − before of the mean learned reward (one reward model scores both).</summary>
    [JsonPropertyName("learned_reward_change")]
    public double LearnedRewardChange => LearnedReward - LearnedRewardBefore;

    /// <summary>After − before of the mean true reward.</summary>
    [JsonPropertyName("true_reward_change")]
    public double TrueRewardChange => TrueReward - TrueRewardBefore;
}
