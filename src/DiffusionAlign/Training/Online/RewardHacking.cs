// The rule that flags a round of online alignment as reward hacking.
namespace DiffusionAlign.Training.Online;

/// <summary>Mean learned and true reward of one policy's monitor images, both scored by one reward model.</summary>
public sealed record RewardMeans(double Learned, double True);

/// <summary>
/// Reward hacking, as online alignment watches for it: the policy gets better at what the learned reward model
/// scores and worse at what the true reward scores. A round fires when, on the same monitor prompts and noise as
/// the policy it started from, its policy's images moved (<see cref="MonitorChange"/>, after − before per image):
/// <c>learned: 95% interval above 0,  and  true: mean &lt; −tolerance and 95% interval below 0</c>.
/// The intervals keep sampling noise from firing the flag: a few monitor images whose true reward happens to drop
/// while an overfitted reward model's scores swing is not evidence of hacking. Both learned scores come from the
/// same reward model (the round's), since a retrained model's scores have no fixed offset: comparing two models'
/// means would measure the models, not the policy.
/// </summary>
public static class RewardHacking
{
    /// <summary>Whether <paramref name="change"/> is hacking under <paramref name="tolerance"/>.</summary>
    public static bool Fires(MonitorChange change, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "must be >= 0");
        // NaN intervals (one image) compare false: nothing fires without an estimate of the noise.
        return change.Learned.CiLow > 0 && change.True.Mean < -tolerance && change.True.CiHigh < 0;
    }
}
