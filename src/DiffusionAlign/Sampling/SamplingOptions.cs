namespace DiffusionAlign.Sampling;

/// <summary>How to draw images from a model.</summary>
/// <param name="Steps">DDIM steps (the schedule's "leading" spacing, as Stable Diffusion).</param>
/// <param name="GuidanceScale">Classifier-free guidance weight w; 1 disables guidance (no unconditional pass).</param>
/// <param name="Eta">DDIM η: 0 is deterministic given the initial noise, 1 is DDPM-like.</param>
public sealed record SamplingOptions(int Steps = 25, double GuidanceScale = 3.0, double Eta = 0.0)
{
    /// <summary>
    /// 10 DDIM steps with guidance 3: what the shapes world's pairs and evaluations use, fast
    /// enough to sample thousands of images on a CPU.
    /// </summary>
    public static SamplingOptions Fast { get; } = new(Steps: 10, GuidanceScale: 3.0);

    /// <summary>Throws a user error for values that cannot work.</summary>
    public void Validate()
    {
        if (Steps < 1 || Steps > 1000)
            throw new DiffusionAlignException($"sampling steps must be in 1..1000, got {Steps}");
        if (GuidanceScale < 0 || double.IsNaN(GuidanceScale))
            throw new DiffusionAlignException($"guidance scale must be >= 0, got {GuidanceScale}");
        if (Eta < 0 || Eta > 1 || double.IsNaN(Eta))
            throw new DiffusionAlignException($"eta must be in [0, 1], got {Eta}");
    }
}
