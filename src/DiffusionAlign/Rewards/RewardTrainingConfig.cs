// How a learned reward model is trained: steps, batch, optimiser, held-out split; one home for each default.
namespace DiffusionAlign.Rewards;

/// <summary>Settings of <see cref="RewardModelTrainer"/>.</summary>
/// <param name="Steps">AdamW steps.</param>
/// <param name="BatchSize">Pairs per step.</param>
/// <param name="LearningRate">AdamW learning rate (constant).</param>
/// <param name="WeightDecay">AdamW's decoupled weight decay.</param>
/// <param name="GradClipNorm">Gradients are clipped to this joint 2-norm.</param>
/// <param name="Seed">Fixes the initial weights, the held-out split and the data order.</param>
/// <param name="HeldOutFraction">
/// Share of the pairs' distinct prompts held out with all their pairs (never trained on), for early stopping and
/// reporting; 0 trains on everything and keeps the last weights.
/// </param>
/// <param name="EvalEvery">Steps between held-out evaluations (and at the last step).</param>
public sealed record RewardTrainingConfig(
    int Steps = 600,
    int BatchSize = 32,
    double LearningRate = 1e-3,
    double WeightDecay = 0.01,
    double GradClipNorm = 1.0,
    long Seed = 0,
    double HeldOutFraction = 0.2,
    int EvalEvery = 50)
{
    public void Validate()
    {
        InvalidSettingException.Check(Steps >= 1, nameof(Steps), $"must be at least 1, got {Steps}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate),
            $"must be a positive number, got {LearningRate}");
        InvalidSettingException.Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay),
            $"must be a finite number ≥ 0, got {WeightDecay}");
        InvalidSettingException.Check(GradClipNorm > 0, nameof(GradClipNorm), $"must be positive, got {GradClipNorm}");
        InvalidSettingException.Check(HeldOutFraction is >= 0 and < 1, nameof(HeldOutFraction),
            $"must be in [0, 1), got {HeldOutFraction}");
        InvalidSettingException.Check(EvalEvery >= 1, nameof(EvalEvery), $"must be at least 1, got {EvalEvery}");
    }
}
