// The aesthetics half of the shapes world's reward, as a reward model of its own.
using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>
/// How well an image is made, whatever it shows: the weighted geometric mean of the true reward's aesthetic
/// components (Centring, Size, Sharpness, Contrast, Noise) with the true reward's weights renormalised over them and
/// its soft floor (<see cref="ShapesReward.PartScore"/>). In [0, 1]. With <see cref="ShapesAlignmentReward"/> it
/// splits the true reward: <c>score = alignment^0.5 · aesthetics^0.5</c>. Aligning one policy per half and mixing
/// them (<see cref="Mixing.PolicyMixture"/>) trades the two off at sampling time.
/// </summary>
public sealed class ShapesAestheticsReward : IRewardModel
{
    /// <summary>The name the CLI accepts for this model (<c>--labeler aesthetics</c>).</summary>
    public const string CliName = "aesthetics";

    private readonly ShapesReward _reward;

    public ShapesAestheticsReward(ShapesWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        _reward = world.Reward;
    }

    public string Name => "shapes aesthetics reward";

    /// <inheritdoc />
    public int? ImageSize => null;

    /// <inheritdoc />
    /// <exception cref="DiffusionAlignException">A prompt is not a shapes-world prompt.</exception>
    public double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images) =>
        ShapesPromptScores.Of(prompts, images, (prompt, image) =>
            ShapesReward.PartScore(_reward.Explain(prompt, image), ShapesReward.AestheticsComponents));

    /// <summary>Holds no native memory.</summary>
    public void Dispose()
    {
    }
}
