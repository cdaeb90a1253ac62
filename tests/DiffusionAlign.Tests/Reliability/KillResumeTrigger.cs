namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// When to SIGKILL a run: after a delay from its start (anywhere — loading, a step, a checkpoint, the final save),
/// or the moment its n-th checkpoint write of that run begins (a <c>.step-NNNNNN.tmp</c> folder appears), which
/// aims the kill inside the write the atomic rename must protect.
/// </summary>
public sealed record KillResumeTrigger(TimeSpan? Delay, int CheckpointWrite)
{
    public bool OnCheckpointWrite => Delay is null;

    /// <summary>The same kill aimed at checkpoint write #<see cref="CheckpointWrite"/> instead of a time.</summary>
    public KillResumeTrigger AtCheckpointWrite() => this with { Delay = null };

    /// <summary>
    /// The kill to try again after the run it was aimed at ended first (a resumed run has less left to do, and
    /// a run may have fewer writes than the plan's number): earlier, or at the first write.
    /// </summary>
    public KillResumeTrigger Sooner() => new(Delay * 0.6, 1);

    public override string ToString() =>
        Delay is { } d ? $"after {d.TotalSeconds:F2} s" : $"at checkpoint write #{CheckpointWrite}";

    /// <summary>
    /// <paramref name="count"/> triggers from <paramref name="seed"/>: the first on a checkpoint write, the rest
    /// half and half; delays spread over <paramref name="runTime"/> (an uninterrupted run's wall time, startup
    /// included, so some kills land before the first checkpoint); writes #1 to #<paramref name="maxWrite"/>.
    /// </summary>
    public static IReadOnlyList<KillResumeTrigger> Plan(int count, int seed, TimeSpan runTime, int maxWrite)
    {
        var rng = new Random(seed);
        var plan = new List<KillResumeTrigger>(count);
        for (int i = 0; i < count; i++)
        {
            bool onWrite = i == 0 || rng.NextDouble() < 0.5;
            var delay = runTime * (0.1 + 0.9 * rng.NextDouble());
            plan.Add(new KillResumeTrigger(onWrite ? null : delay, 1 + rng.Next(maxWrite)));
        }
        return plan;
    }

    /// <summary>Kill points for a test: DALIGN_SOAK_KILLS when set (a soak), else 3.</summary>
    public static int Count() =>
        int.TryParse(Environment.GetEnvironmentVariable("DALIGN_SOAK_KILLS"), out int n) && n >= 1 ? n : 3;
}
