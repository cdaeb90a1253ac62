// The per-image loop the shapes world's reward models share: parse each prompt once, score each image.
using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>Scores (prompt text, image) pairs with a function of the parsed shapes prompt.</summary>
internal static class ShapesPromptScores
{
    /// <exception cref="DiffusionAlignException">A prompt is not a shapes-world prompt.</exception>
    public static double[] Of(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images,
        Func<ShapesPrompt, RgbImage, double> score)
    {
        RewardInputs.CheckCounts(prompts, images);
        var parsed = new Dictionary<string, ShapesPrompt>(StringComparer.Ordinal);
        var scores = new double[prompts.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            if (!parsed.TryGetValue(prompts[i], out var prompt))
                parsed[prompts[i]] = prompt = ShapesPrompt.Parse(prompts[i]);
            scores[i] = score(prompt, images[i]);
        }
        return scores;
    }
}
