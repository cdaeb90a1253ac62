// Opens a reward model by what a user types: "true" for the shapes world's reward, or a learned model's folder.
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>Resolves the reward model a command is given.</summary>
public static class RewardModels
{
    /// <summary>
    /// <see cref="ShapesTrueReward.CliName"/> ("true", any case) gives the shapes world's reward; anything else is
    /// read as a <see cref="LearnedRewardModel"/> folder.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The folder is not a readable reward model.</exception>
    public static IRewardModel Open(string spec, ShapesWorld world)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return IsTrueReward(spec) ? new ShapesTrueReward(world) : LearnedRewardModel.Load(spec);
    }

    public static bool IsTrueReward(string spec) =>
        spec.Equals(ShapesTrueReward.CliName, StringComparison.OrdinalIgnoreCase);
}
