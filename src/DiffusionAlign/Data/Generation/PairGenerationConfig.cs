using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Data.Generation;

/// <summary>Where the two images of a generated pair come from.</summary>
public enum PairSource
{
    /// <summary>Two samples of a model for the same prompt (as Pick-a-Pic's pairs are model generations).</summary>
    Model,

    /// <summary>Two renders of the shapes world's renderer, each flawed with some probability.</summary>
    Renderer,
}

/// <summary>How to make and label preference pairs in the shapes world.</summary>
/// <param name="Count">Number of pairs.</param>
/// <param name="Seed">Fixes prompts, noise and labels.</param>
/// <param name="HeldOut">
/// Draw prompts from the held-out test split instead of the training split (the same as
/// <paramref name="PromptSet"/> = <see cref="Worlds.Shapes.PromptSet.Test"/>).
/// </param>
/// <param name="Tau">
/// Bradley–Terry temperature τ in P(a ≻ b) = σ((r_a − r_b)/τ); null picks τ so labels agree with the
/// reward order <see cref="TargetAgreement"/> of the time.
/// </param>
/// <param name="BatchSize">
/// Images per sampling batch (two per pair, so half as many pairs); under <c>mpirun</c> the processes share whole
/// batches.
/// </param>
/// <param name="PromptSet">
/// The prompt set to draw prompts from (train, validation or test); null follows <paramref name="HeldOut"/>.
/// </param>
public sealed record PairGenerationConfig(
    int Count,
    long Seed = 0,
    PairSource Source = PairSource.Model,
    bool HeldOut = false,
    double? Tau = null,
    double TargetAgreement = 0.8,
    SamplingOptions? Sampling = null,
    int BatchSize = 64,
    double FlawProbability = 0.5,
    PromptSet? PromptSet = null)
{
    public SamplingOptions EffectiveSampling => Sampling ?? SamplingOptions.Fast;

    /// <summary>
    /// The prompt set pairs are drawn from: <see cref="PromptSet"/>, else test when held out, else train.
    /// </summary>
    public PromptSet EffectivePromptSet =>
        PromptSet ?? (HeldOut ? Worlds.Shapes.PromptSet.Test : Worlds.Shapes.PromptSet.Train);

    public void Validate()
    {
        InvalidSettingException.Check(Count >= 1, nameof(Count), $"must be at least 1, got {Count}");
        InvalidSettingException.Check(Tau is null or > 0, nameof(Tau), $"must be positive, got {Tau}");
        if (TargetAgreement is <= 0.5 or >= 1)
            throw new DiffusionAlignException($"target agreement must be in (0.5, 1), got {TargetAgreement}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(PromptSet is null || Enum.IsDefined(PromptSet.Value), nameof(PromptSet),
            $"unknown prompt set {PromptSet}");
        InvalidSettingException.Check(!HeldOut || PromptSet is null or Worlds.Shapes.PromptSet.Test,
            nameof(PromptSet), $"is {PromptSet}, but HeldOut asks for the test prompts");
        EffectiveSampling.Validate();
    }
}

/// <summary>Generated pairs and what their labels are like.</summary>
/// <param name="Tau">The temperature used.</param>
/// <param name="Agreement">Share of pairs whose label agrees with the labeler's order (ties count ½).</param>
/// <param name="ExpectedAgreement">Mean over pairs of σ(|Δr|/τ), the agreement the labels have in expectation.</param>
/// <param name="MeanReward">Mean true reward of all generated images.</param>
/// <param name="Labeler">The reward model the labels were drawn from; null for the world's true reward. Tau,
/// Agreement and ExpectedAgreement are then on that model's scores and order.</param>
/// <param name="TrueRewardAgreement">With a <paramref name="Labeler"/>: share of labels agreeing with the true reward
/// order (ties ½).</param>
public sealed record PairGenerationResult(
    IReadOnlyList<PreferencePair> Pairs,
    double Tau,
    double Agreement,
    double ExpectedAgreement,
    double MeanReward,
    string? Labeler = null,
    double? TrueRewardAgreement = null);
