namespace DiffusionAlign.Training;

/// <summary>
/// AdamW's hyper-parameters (Loshchilov &amp; Hutter, decoupled weight decay), as
/// <c>torch.optim.AdamW</c> names them: lr, betas, eps, weight_decay.
/// </summary>
public sealed record AdamWSettings(
    double LearningRate, double Beta1 = AdamWSettings.DefaultBeta1, double Beta2 = AdamWSettings.DefaultBeta2,
    double Epsilon = AdamWSettings.DefaultEpsilon, double WeightDecay = 0.0)
{
    /// <summary>torch's defaults, and diffusers' scripts' (<c>--adam_beta1/2</c>, <c>--adam_epsilon</c>).</summary>
    public const double DefaultBeta1 = 0.9, DefaultBeta2 = 0.999, DefaultEpsilon = 1e-8;

    /// <exception cref="DiffusionAlignException">A setting outside its range.</exception>
    public void Validate()
    {
        if (!(LearningRate >= 0) || double.IsInfinity(LearningRate))
            throw new DiffusionAlignException($"AdamW learning rate must be a finite number ≥ 0, got {LearningRate}");
        if (!(Beta1 >= 0 && Beta1 < 1))
            throw new DiffusionAlignException($"AdamW beta1 must be in [0, 1), got {Beta1}");
        if (!(Beta2 >= 0 && Beta2 < 1))
            throw new DiffusionAlignException($"AdamW beta2 must be in [0, 1), got {Beta2}");
        if (!(Epsilon >= 0)) throw new DiffusionAlignException($"AdamW epsilon must be ≥ 0, got {Epsilon}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new DiffusionAlignException($"AdamW weight decay must be a finite number ≥ 0, got {WeightDecay}");
    }
}
