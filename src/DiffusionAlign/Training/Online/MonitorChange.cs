// How a policy update moved the monitor images' rewards, image by image, with intervals.
using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// The change of the learned and the true reward from one policy to the next on the same monitor prompts and
/// noise: the mean of the per-image differences (after − before) with a two-sided 95% Student-t interval. The draws
/// are paired, so the interval measures how consistently the images moved, not how different the prompts are.
/// With one monitor image the intervals are NaN (not estimable).
/// </summary>
public sealed record MonitorChange(MeanWithInterval Learned, MeanWithInterval True)
{
    /// <summary>The paired change from <paramref name="before"/> to <paramref name="after"/>.</summary>
    /// <exception cref="ArgumentException">The two hold different numbers of images.</exception>
    public static MonitorChange Between(MonitorScores before, MonitorScores after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Learned.Count != after.Learned.Count || before.True.Count != after.True.Count
            || before.True.Count != before.Learned.Count)
            throw new ArgumentException("before and after must score the same monitor images", nameof(after));
        return new MonitorChange(
            MeanWithInterval.Compute(after.Learned.Select((v, i) => v - before.Learned[i]).ToList()),
            MeanWithInterval.Compute(after.True.Select((v, i) => v - before.True[i]).ToList()));
    }
}
