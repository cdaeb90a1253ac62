namespace DiffusionAlign.Schedulers;

/// <summary>
/// How the per-step noise variances β_i are laid out over the training timesteps
/// (diffusers' <c>beta_schedule</c>: <c>linear</c>, <c>scaled_linear</c>, <c>squaredcos_cap_v2</c>).
/// </summary>
public enum BetaSchedule
{
    /// <summary>β evenly spaced from beta_start to beta_end (the original DDPM schedule).</summary>
    Linear,

    /// <summary>sqrt(β) evenly spaced, then squared: Stable Diffusion's latent schedule.</summary>
    ScaledLinear,

    /// <summary>The cosine ᾱ schedule of Nichol and Dhariwal (GLIDE), β capped at 0.999.</summary>
    SquaredCosCapV2,
}
