using DiffusionAlign.Sampling;

namespace DiffusionAlign.Evaluation;

/// <summary>How models are compared on held-out prompts and pairs.</summary>
/// <param name="Prompts">Held-out prompts to sample (cycled if more than the split has).</param>
/// <param name="Seeds">Initial noises per prompt; samples = Prompts × Seeds per model.</param>
/// <param name="Seed">Fixes the initial noises (identical for every model) and the ELBO draws.</param>
/// <param name="ElboDraws">Monte-Carlo (t, ε) draws per held-out pair for ranking accuracies.</param>
/// <param name="Beta">β of the implicit reward r̂ = −(β/2)·E[Δerror] and of the idealized accuracy (Diffusion-DPO's β).</param>
/// <param name="Tau">Bradley–Terry temperature of the pairs' labels: the true reward in logit units is r/τ.</param>
public sealed record EvaluationConfig(
    int Prompts = 16,
    int Seeds = 25,
    SamplingOptions? Sampling = null,
    long Seed = 1000,
    int ElboDraws = 8,
    double Beta = 1000,
    double? Tau = null,
    int BatchSize = 64)
{
    public SamplingOptions EffectiveSampling => Sampling ?? new SamplingOptions(Steps: 10, GuidanceScale: 3.0);

    public void Validate()
    {
        if (Prompts < 1) throw new DiffusionAlignException($"--prompts must be at least 1, got {Prompts}");
        if (Seeds < 1) throw new DiffusionAlignException($"--seeds must be at least 1, got {Seeds}");
        if (ElboDraws < 1) throw new DiffusionAlignException($"ELBO draws must be at least 1, got {ElboDraws}");
        if (!(Beta > 0)) throw new DiffusionAlignException($"--beta must be positive, got {Beta}");
        EffectiveSampling.Validate();
    }
}
