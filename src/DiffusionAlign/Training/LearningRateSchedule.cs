namespace DiffusionAlign.Training;

/// <summary>How the learning rate evolves after warm-up.</summary>
public enum LearningRateDecay
{
    /// <summary>Constant after warm-up (Diffusion-DPO's and DSPO's published schedule).</summary>
    Constant,

    /// <summary>
    /// Cosine from the peak down to <see cref="LearningRateSchedule.FinalFraction"/> of it at the last step
    /// (the pretraining schedule; not diffusers' <c>cosine</c>, which is <see cref="CosineToZero"/>).
    /// </summary>
    Cosine,

    /// <summary>diffusers' <c>linear</c>: from the peak at the end of warm-up down to 0 at step TotalSteps.</summary>
    Linear,

    /// <summary>diffusers' <c>cosine</c>: a half cosine from the peak down to 0 at step TotalSteps.</summary>
    CosineToZero,

    /// <summary>
    /// diffusers' <c>cosine_with_restarts</c>: <see cref="LearningRateSchedule.NumCycles"/> half cosines, each
    /// from the peak towards 0, over the steps after warm-up.
    /// </summary>
    CosineWithRestarts,

    /// <summary>
    /// diffusers' <c>polynomial</c>: (peak − end)·(1 − progress)^<see cref="LearningRateSchedule.Power"/> + end,
    /// end = <see cref="LearningRateSchedule.EndLearningRate"/>.
    /// </summary>
    Polynomial,
}

/// <summary>
/// Linear warm-up to a peak learning rate, then one of <see cref="LearningRateDecay"/>. After warm-up the
/// formulas are those of diffusers' <c>optimization.py</c> at 0-based step k. The warm-up gives step k the
/// rate peak·(k+1)/W, reaching the peak on step W−1: diffusers' gives k/W, so its first step, with rate 0,
/// changes nothing (its <c>LambdaLR</c> is read before the first <c>scheduler.step()</c>).
/// </summary>
public sealed record LearningRateSchedule(
    double Peak, int WarmupSteps, int TotalSteps, LearningRateDecay Decay = LearningRateDecay.Constant,
    double FinalFraction = 0.1)
{
    /// <summary>diffusers' <c>lr_end</c> of the polynomial schedule, which its <c>get_scheduler</c> fixes.</summary>
    public const double DefaultEndLearningRate = 1e-7;

    /// <summary>Hard restarts of <see cref="LearningRateDecay.CosineWithRestarts"/> (diffusers' default 1).</summary>
    public int NumCycles { get; init; } = 1;

    /// <summary>Exponent of <see cref="LearningRateDecay.Polynomial"/> (1 = linear down to the end rate).</summary>
    public double Power { get; init; } = 1.0;

    /// <summary>The rate <see cref="LearningRateDecay.Polynomial"/> ends at.</summary>
    public double EndLearningRate { get; init; } = DefaultEndLearningRate;

    /// <summary>The schedule diffusers' <c>get_scheduler(name, ...)</c> builds, with the warm-up above.</summary>
    public static LearningRateSchedule For(LearningRateScheduler scheduler, double peak, int warmupSteps,
        int totalSteps, int numCycles = 1, double power = 1.0) => scheduler switch
    {
        // diffusers' constant takes no warm-up argument at all.
        LearningRateScheduler.Constant => new(peak, 0, totalSteps),
        LearningRateScheduler.ConstantWithWarmup => new(peak, warmupSteps, totalSteps),
        LearningRateScheduler.Linear => new(peak, warmupSteps, totalSteps, LearningRateDecay.Linear),
        LearningRateScheduler.Cosine => new(peak, warmupSteps, totalSteps, LearningRateDecay.CosineToZero),
        LearningRateScheduler.CosineWithRestarts =>
            new(peak, warmupSteps, totalSteps, LearningRateDecay.CosineWithRestarts) { NumCycles = numCycles },
        LearningRateScheduler.Polynomial =>
            new(peak, warmupSteps, totalSteps, LearningRateDecay.Polynomial) { Power = power },
        _ => throw new ArgumentOutOfRangeException(nameof(scheduler), scheduler, "unknown learning-rate scheduler"),
    };

    /// <summary>Whether the rate after warm-up depends on <see cref="TotalSteps"/> (a longer run changes it).</summary>
    public bool DependsOnTotalSteps => Decay != LearningRateDecay.Constant;

    /// <summary>The learning rate for the optimizer step with 0-based index <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        // Progress through the steps after warm-up, as diffusers measures it (1 at step TotalSteps).
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        switch (Decay)
        {
            case LearningRateDecay.Constant:
                return Peak;
            case LearningRateDecay.Cosine:
            {
                if (TotalSteps <= WarmupSteps) return Peak;
                double toLast = Math.Clamp(
                    (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps - 1), 0, 1);
                double cosine = 0.5 * (1 + Math.Cos(Math.PI * toLast));
                return Peak * (FinalFraction + (1 - FinalFraction) * cosine);
            }
            case LearningRateDecay.Linear:
                return Peak * Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
            case LearningRateDecay.CosineToZero:
                return Peak * Math.Max(0.0, 0.5 * (1 + Math.Cos(Math.PI * progress)));
            case LearningRateDecay.CosineWithRestarts:
                if (progress >= 1) return 0;
                return Peak * Math.Max(0.0, 0.5 * (1 + Math.Cos(Math.PI * (NumCycles * progress % 1.0))));
            case LearningRateDecay.Polynomial:
            {
                if (step > TotalSteps || TotalSteps <= WarmupSteps) return EndLearningRate;
                double remaining = 1 - (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
                return (Peak - EndLearningRate) * Math.Pow(remaining, Power) + EndLearningRate;
            }
            default:
                throw new InvalidOperationException($"unhandled learning-rate decay {Decay}");
        }
    }
}
