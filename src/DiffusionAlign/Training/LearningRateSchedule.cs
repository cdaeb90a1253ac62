namespace DiffusionAlign.Training;

/// <summary>How the learning rate evolves after warm-up.</summary>
public enum LearningRateDecay
{
    /// <summary>Constant after warm-up (Diffusion-DPO's and DSPO's published schedule).</summary>
    Constant,

    /// <summary>
    /// Cosine from the peak down to <see cref="LearningRateSchedule.FinalFraction"/> of it at the last step.
    /// </summary>
    Cosine,
}

/// <summary>Linear warm-up to a peak learning rate, then constant or cosine decay.</summary>
public sealed record LearningRateSchedule(
    double Peak, int WarmupSteps, int TotalSteps, LearningRateDecay Decay = LearningRateDecay.Constant,
    double FinalFraction = 0.1)
{
    /// <summary>The learning rate for the optimizer step with 0-based index <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        if (Decay == LearningRateDecay.Constant || TotalSteps <= WarmupSteps) return Peak;
        double progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps - 1), 0, 1);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return Peak * (FinalFraction + (1 - FinalFraction) * cosine);
    }
}
