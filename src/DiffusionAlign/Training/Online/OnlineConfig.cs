// The settings of an online (D2PO-style) alignment run, with the one home of each default.
using DiffusionAlign.Rewards;
using DiffusionAlign.Sampling;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// How an <see cref="OnlineAligner"/> run spends its gold labels: <see cref="Rounds"/> rounds, each sampling fresh
/// pairs from the current policy, labelling its share of <see cref="GoldBudget"/> with the true preference,
/// retraining the learned reward model on all gold labels so far, silver-labelling
/// <see cref="SilverPerRound"/> more pairs with it, and training the policy on gold + silver for its share of the
/// run's steps. The policy's recipe (method, β, learning rate, total steps, seed) is the run's
/// <see cref="AlignConfig"/>.
/// </summary>
public sealed record OnlineConfig
{
    /// <summary>Silver pairs per gold pair of a round when <see cref="SilverPerRound"/> is not given.</summary>
    public const int SilverPerGold = 4;

    /// <summary>
    /// Gold labels of the whole run: Bradley–Terry draws from the true reward, standing in for people.
    /// </summary>
    public required int GoldBudget { get; init; }

    /// <summary>Rounds of sample → label → reward model → policy steps.</summary>
    public int Rounds { get; init; } = 4;

    /// <summary>
    /// Pairs labelled by the learned reward model in each round; null: <see cref="SilverPerGold"/> × the round's
    /// gold labels. 0 trains the policy on gold labels only (the reward model then only watches).
    /// </summary>
    public int? SilverPerRound { get; init; }

    /// <summary>
    /// Steps of each round's reward-model training (from scratch, on all gold labels so far). Fewer than
    /// <see cref="RewardTrainingConfig"/>'s 600 because it runs every round and the gold sets are small; the other
    /// reward-training settings are <see cref="RewardTrainingConfig"/>'s defaults, seeded by the run's seed.
    /// </summary>
    public int RewardSteps { get; init; } = 200;

    /// <summary>
    /// Images of the policy sampled each round to watch for reward hacking (fixed prompts and noise, so two
    /// rounds' policies are compared on the same draws).
    /// </summary>
    public int MonitorSamples { get; init; } = 64;

    /// <summary>
    /// How far the true reward must fall (in true-reward units, scores in [0, 1]) while the learned reward rises
    /// before a round is flagged as reward hacking (<see cref="RewardHacking"/>).
    /// </summary>
    public double HackingTolerance { get; init; } = 0.01;

    /// <summary>How the policy's pairs and monitor images are sampled (as <c>dalign pairs</c> samples).</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Fast;

    /// <summary>Gold labels spent by the end of round <paramref name="round"/> (1-based): ⌊G·r/R⌋.</summary>
    public int GoldThrough(int round) => (int)((long)GoldBudget * round / Rounds);

    /// <summary>Gold labels drawn in round <paramref name="round"/> (the shares differ by at most one).</summary>
    public int GoldFor(int round) => GoldThrough(round) - GoldThrough(round - 1);

    /// <summary>Pairs labelled by the learned reward model in round <paramref name="round"/>.</summary>
    public int SilverFor(int round) => SilverPerRound ?? SilverPerGold * GoldFor(round);

    /// <summary>The policy's step count at the end of round <paramref name="round"/>: ⌊S·r/R⌋ of S steps.</summary>
    public int StepsThrough(int round, AlignConfig align) => (int)((long)align.Steps * round / Rounds);

    /// <summary>The settings of each round's reward-model training.</summary>
    public RewardTrainingConfig RewardTraining(AlignConfig align) =>
        new() { Steps = RewardSteps, Seed = align.Seed };

    /// <exception cref="InvalidSettingException">A setting outside its range, named by its property.</exception>
    public void Validate(AlignConfig align)
    {
        ArgumentNullException.ThrowIfNull(align);
        InvalidSettingException.Check(Rounds >= 1, nameof(Rounds), $"must be at least 1, got {Rounds}");
        InvalidSettingException.Check(GoldBudget >= Rounds, nameof(GoldBudget),
            $"is {GoldBudget}, fewer than the {Rounds} rounds: each round needs at least one gold label");
        InvalidSettingException.Check(align.Steps >= Rounds, nameof(AlignConfig.Steps),
            $"is {align.Steps}, fewer than the {Rounds} rounds: each round needs at least one step");
        InvalidSettingException.Check(SilverPerRound is null or >= 0, nameof(SilverPerRound),
            $"must be >= 0, got {SilverPerRound}");
        InvalidSettingException.Check(RewardSteps >= 1, nameof(RewardSteps), $"must be at least 1, got {RewardSteps}");
        // Spearman's correlation needs three points.
        InvalidSettingException.Check(MonitorSamples >= 3, nameof(MonitorSamples),
            $"must be at least 3, got {MonitorSamples}");
        InvalidSettingException.Check(HackingTolerance >= 0 && double.IsFinite(HackingTolerance),
            nameof(HackingTolerance), $"must be >= 0 and finite, got {HackingTolerance}");
        InvalidSettingException.Check(align.DataParallelProcesses == 1, nameof(AlignConfig.DataParallelProcesses),
            "must be 1: online alignment runs in one process");
        Sampling.Validate();
        RewardTraining(align).Validate();
        // Round 1 has the fewest pairs (later rounds add their gold to all the earlier gold).
        int first = GoldFor(1) + SilverFor(1);
        InvalidSettingException.Check(first >= align.EffectiveBatch, nameof(GoldBudget),
            $"gives round 1 only {first} pairs (gold + silver), fewer than one batch of {align.EffectiveBatch}: "
            + "raise the gold budget or the silver pairs per round, or lower the batch");
    }
}
