namespace DiffusionAlign.Schedulers;

/// <summary>
/// How inference timesteps are picked from the training range (diffusers' <c>timestep_spacing</c>;
/// see Table 2 of Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed").
/// </summary>
public enum TimestepSpacing
{
    /// <summary>
    /// Multiples of T/steps plus steps_offset, counting up from 0 (SD 1.x: 981, 961, ..., 1 for 50 steps).
    /// </summary>
    Leading,

    /// <summary>Counting down from T−1 in strides of T/steps (999, 979, ..., 19 for 50 steps).</summary>
    Trailing,

    /// <summary>Evenly spaced from T−1 down to 0, rounded.</summary>
    Linspace,
}
