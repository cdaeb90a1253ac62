using DiffusionAlign.Bench.Machine;

namespace DiffusionAlign.Bench;

/// <summary>
/// Warm-up until a repeated step has stopped growing the process: at least the asked number of
/// steps, then on until <see cref="QuietSteps"/> steps in a row each grew the RSS by less than
/// <see cref="GrowthMiB"/>, at most <see cref="MaxExtraSteps"/> more and no more once the extra
/// steps have taken <see cref="MaxExtraSeconds"/> (a 64×64 × 64-pair step takes 7–16 s). The heap reaches its working
/// size over the first few steps (with mmap off it keeps freed memory for reuse), and those steps
/// pay page faults a trained step does not.
/// </summary>
public static class SteadyState
{
    public const int QuietSteps = 2;
    public const double GrowthMiB = 1.0;
    public const int MaxExtraSteps = 20;
    public const double MaxExtraSeconds = 5.0;

    /// <summary>Runs <paramref name="step"/> until steady; returns how many steps ran.</summary>
    public static int WarmUp(Action step, int minSteps, Func<double?>? rssMiB = null,
        double maxExtraSeconds = MaxExtraSeconds)
    {
        rssMiB ??= ProcessMemory.CurrentRssMiB;
        double? last = rssMiB();
        int ran = 0, quiet = 0;
        var extra = new System.Diagnostics.Stopwatch();
        while (true)
        {
            if (ran >= minSteps
                && (quiet >= QuietSteps || last is null || ran >= minSteps + MaxExtraSteps
                    || extra.Elapsed.TotalSeconds >= maxExtraSeconds)) return ran;
            if (ran >= minSteps) extra.Start();
            step();
            ran++;
            double? now = rssMiB();
            quiet = now is double n && last is double l && n - l < GrowthMiB ? quiet + 1 : 0;
            last = now;
        }
    }
}
