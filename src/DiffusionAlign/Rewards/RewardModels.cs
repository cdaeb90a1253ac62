// Opens a reward model by what a user types: "true" for the shapes world's reward, "alignment" or "aesthetics" for
// one of its halves, or a learned model's folder.
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>Resolves the reward model a command is given.</summary>
public static class RewardModels
{
    /// <summary>
    /// <see cref="ShapesTrueReward.CliName"/> ("true", any case) gives the shapes world's reward,
    /// <see cref="ShapesAlignmentReward.CliName"/> ("alignment") and <see cref="ShapesAestheticsReward.CliName"/>
    /// ("aesthetics") its two halves; anything else is read as a <see cref="LearnedRewardModel"/> folder.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The folder is not a readable reward model.</exception>
    public static IRewardModel Open(string spec, ShapesWorld world)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (IsTrueReward(spec)) return new ShapesTrueReward(world);
        if (Is(spec, ShapesAlignmentReward.CliName)) return new ShapesAlignmentReward(world);
        if (Is(spec, ShapesAestheticsReward.CliName)) return new ShapesAestheticsReward(world);
        return LearnedRewardModel.Load(spec);
    }

    public static bool IsTrueReward(string spec) => Is(spec, ShapesTrueReward.CliName);

    private static bool Is(string spec, string name) => spec.Equals(name, StringComparison.OrdinalIgnoreCase);
}
