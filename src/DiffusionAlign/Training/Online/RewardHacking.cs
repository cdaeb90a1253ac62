// The rule that flags a round of online alignment as reward hacking.
namespace DiffusionAlign.Training.Online;

/// <summary>Mean learned and true reward of one policy's monitor images, both scored by one reward model.</summary>
public sealed record RewardMeans(double Learned, double True);

/// <summary>
/// Reward hacking, as online alignment watches for it: the policy gets better at what the learned reward model
/// scores and worse at what the true reward scores. A round fires when, on the same monitor prompts and noise, its
/// policy's images have a higher mean learned reward than the previous round's policy had (any rise) and a true
/// reward lower by more than a tolerance:
/// <c>after.Learned − before.Learned &gt; 0  and  after.True − before.True &lt; −tolerance</c>.
/// Both learned means come from the same reward model (the round's), since a retrained model's scores have no
/// fixed offset: comparing two models' means would measure the models, not the policy.
/// </summary>
public static class RewardHacking
{
    /// <summary>Whether the change from <paramref name="before"/> to <paramref name="after"/> is hacking.</summary>
    public static bool Fires(RewardMeans before, RewardMeans after, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "must be >= 0");
        return after.Learned - before.Learned > 0 && after.True - before.True < -tolerance;
    }
}
