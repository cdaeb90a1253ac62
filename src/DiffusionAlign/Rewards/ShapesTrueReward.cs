// The shapes world's hidden ground-truth reward behind the IRewardModel contract.
using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>
/// <see cref="ShapesReward"/> as an <see cref="IRewardModel"/>: the same scores, in [0, 1], so anything that takes
/// a reward model (pair labelling, reward-model evaluation) can use the ground truth as one more model.
/// </summary>
public sealed class ShapesTrueReward : IRewardModel
{
    /// <summary>The name the CLI accepts for this model (<c>--labeler true</c>, <c>--model true</c>).</summary>
    public const string CliName = "true";

    private readonly ShapesReward _reward;

    public ShapesTrueReward(ShapesWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        _reward = world.Reward;
    }

    public string Name => "shapes true reward";

    /// <inheritdoc />
    public int? ImageSize => null;

    /// <inheritdoc />
    /// <exception cref="DiffusionAlignException">A prompt is not a shapes-world prompt.</exception>
    public double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images)
    {
        RewardInputs.CheckCounts(prompts, images);
        var parsed = new Dictionary<string, ShapesPrompt>(StringComparer.Ordinal);
        var scores = new double[prompts.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            if (!parsed.TryGetValue(prompts[i], out var prompt))
                parsed[prompts[i]] = prompt = ShapesPrompt.Parse(prompts[i]);
            scores[i] = _reward.Score(prompt, images[i]);
        }
        return scores;
    }

    /// <summary>Holds no native memory.</summary>
    public void Dispose()
    {
    }
}
