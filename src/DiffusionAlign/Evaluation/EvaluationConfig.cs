using DiffusionAlign.Objectives;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Evaluation;

/// <summary>How models are compared on held-out prompts and pairs.</summary>
/// <param name="Prompts">
/// At most this many prompts of <paramref name="PromptSet"/>, in set order, each used once; asking for more than
/// the set has uses the whole set (the count used is recorded in the results), never repeats a prompt.
/// </param>
/// <param name="Seeds">Initial noises per prompt; samples = prompts used × Seeds per model.</param>
/// <param name="Seed">
/// Fixes the initial noises (identical for every model), the ELBO draws, the requantisation dither and the
/// bootstrap resampling.
/// </param>
/// <param name="ElboDraws">Monte-Carlo (t, ε) draws per held-out pair for ranking accuracies.</param>
/// <param name="Beta">
/// β of the implicit reward r̂ = −(β/2)·E[Δerror] and of the idealized accuracy (Diffusion-DPO's β).
/// </param>
/// <param name="Tau">Bradley–Terry temperature of the pairs' labels: the true reward in logit units is r/τ.</param>
/// <param name="PromptSet">
/// The prompts sampled: <see cref="Worlds.Shapes.PromptSet.Test"/> (the held-out test prompts) for final
/// tables, <see cref="Worlds.Shapes.PromptSet.Validation"/> while choosing settings.
/// </param>
/// <param name="BootstrapResamples">Resamples of every bootstrap interval (prompt-clustered and over pairs).</param>
public sealed record EvaluationConfig(
    int Prompts = 15,
    int Seeds = 25,
    SamplingOptions? Sampling = null,
    long Seed = 1000,
    int ElboDraws = 8,
    double Beta = DiffusionDpoLoss.DefaultBeta,
    double? Tau = null,
    int BatchSize = 64,
    PromptSet PromptSet = PromptSet.Test,
    int BootstrapResamples = 2000)
{
    public SamplingOptions EffectiveSampling => Sampling ?? SamplingOptions.Fast;

    public void Validate()
    {
        InvalidSettingException.Check(Prompts >= 1, nameof(Prompts), $"must be at least 1, got {Prompts}");
        InvalidSettingException.Check(Seeds >= 1, nameof(Seeds), $"must be at least 1, got {Seeds}");
        InvalidSettingException.Check(ElboDraws >= 1, nameof(ElboDraws), $"must be at least 1, got {ElboDraws}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(Beta > 0, nameof(Beta), $"must be positive, got {Beta}");
        InvalidSettingException.Check(Enum.IsDefined(PromptSet), nameof(PromptSet), $"unknown prompt set {PromptSet}");
        InvalidSettingException.Check(BootstrapResamples >= 100, nameof(BootstrapResamples),
            $"must be at least 100, got {BootstrapResamples}");
        EffectiveSampling.Validate();
    }
}
