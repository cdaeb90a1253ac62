namespace DiffusionAlign.Schedulers;

/// <summary>What the denoising network outputs (diffusers' <c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary>The added noise ε (Stable Diffusion 1.x).</summary>
    Epsilon,

    /// <summary>The velocity v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0 (SD 2.x 768, Salimans and Ho).</summary>
    VPrediction,
}
