// Samples a model on a list of prompts and scores every sample with each of several reward models.
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Mixing;

/// <summary>Per-sample scores of a model's samples under several rewards.</summary>
public static class RewardSamples
{
    /// <summary>
    /// Samples <paramref name="model"/> as <see cref="AlignmentEvaluator.Sample"/> does (sample i from noise index i
    /// under <see cref="EvaluationConfig.Seed"/>, so every model shares x_T per sample) and returns
    /// <c>scores[reward][sample]</c>.
    /// </summary>
    public static double[][] Score(INoisePredictor model, IReadOnlyList<ShapesPrompt> prompts,
        IReadOnlyList<IRewardModel> rewards, EvaluationConfig config, string name,
        IProgress<AlignmentEvaluator.Progress>? progress, CancellationToken cancel = default)
    {
        var images = AlignmentEvaluator.Sample(model, prompts, config, name, progress, cancel);
        var texts = prompts.Select(p => p.ToString()).ToList();
        return [.. rewards.Select(r => r.Score(texts, images))];
    }
}
