// The prompt-alignment half of the shapes world's reward, as a reward model of its own.
using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>
/// How well an image shows its prompt: the weighted geometric mean of the true reward's alignment components
/// (BackgroundColour, ShapeColour, ShapeType, ShapeFit) with the true reward's weights renormalised over them and
/// its soft floor (<see cref="ShapesReward.PartScore"/>). In [0, 1]. With <see cref="ShapesAestheticsReward"/> it
/// splits the true reward: <c>score = alignment^0.5 · aesthetics^0.5</c>. Aligning one policy per half and mixing
/// them (<see cref="Mixing.PolicyMixture"/>) trades the two off at sampling time.
/// </summary>
public sealed class ShapesAlignmentReward : IRewardModel
{
    /// <summary>The name the CLI accepts for this model (<c>--labeler alignment</c>).</summary>
    public const string CliName = "alignment";

    private readonly ShapesReward _reward;

    public ShapesAlignmentReward(ShapesWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        _reward = world.Reward;
    }

    public string Name => "shapes alignment reward";

    /// <inheritdoc />
    public int? ImageSize => null;

    /// <inheritdoc />
    /// <exception cref="DiffusionAlignException">A prompt is not a shapes-world prompt.</exception>
    public double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images) =>
        ShapesPromptScores.Of(prompts, images, (prompt, image) =>
            ShapesReward.PartScore(_reward.Explain(prompt, image), ShapesReward.AlignmentComponents));

    /// <summary>Holds no native memory.</summary>
    public void Dispose()
    {
    }
}
