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
    public double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images) =>
        ShapesPromptScores.Of(prompts, images, _reward.Score);

    /// <summary>Holds no native memory.</summary>
    public void Dispose()
    {
    }
}
