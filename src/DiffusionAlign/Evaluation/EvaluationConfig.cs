using DiffusionAlign.Objectives;
using DiffusionAlign.Sampling;

namespace DiffusionAlign.Evaluation;

/// <summary>How models are compared on held-out prompts and pairs.</summary>
/// <param name="Prompts">Held-out prompts to sample (cycled if more than the split has).</param>
/// <param name="Seeds">Initial noises per prompt; samples = Prompts × Seeds per model.</param>
/// <param name="Seed">Fixes the initial noises (identical for every model) and the ELBO draws.</param>
/// <param name="ElboDraws">Monte-Carlo (t, ε) draws per held-out pair for ranking accuracies.</param>
/// <param name="Beta">
/// β of the implicit reward r̂ = −(β/2)·E[Δerror] and of the idealized accuracy (Diffusion-DPO's β).
/// </param>
/// <param name="Tau">Bradley–Terry temperature of the pairs' labels: the true reward in logit units is r/τ.</param>
public sealed record EvaluationConfig(
    int Prompts = 16,
    int Seeds = 25,
    SamplingOptions? Sampling = null,
    long Seed = 1000,
    int ElboDraws = 8,
    double Beta = DiffusionDpoLoss.DefaultBeta,
    double? Tau = null,
    int BatchSize = 64)
{
    public SamplingOptions EffectiveSampling => Sampling ?? SamplingOptions.Fast;

    public void Validate()
    {
        InvalidSettingException.Check(Prompts >= 1, nameof(Prompts), $"must be at least 1, got {Prompts}");
        InvalidSettingException.Check(Seeds >= 1, nameof(Seeds), $"must be at least 1, got {Seeds}");
        InvalidSettingException.Check(ElboDraws >= 1, nameof(ElboDraws), $"must be at least 1, got {ElboDraws}");
        InvalidSettingException.Check(Beta > 0, nameof(Beta), $"must be positive, got {Beta}");
        EffectiveSampling.Validate();
    }
}
