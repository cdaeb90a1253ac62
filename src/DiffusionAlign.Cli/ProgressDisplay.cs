using Spectre.Console;

namespace DiffusionAlign.Cli;

/// <summary>
/// A progress bar on an interactive terminal; on a pipe or CI log, a plain line every ~10%
/// so logs stay readable and still show that long work is moving. Both go to stderr (<see cref="CliOutput"/>).
/// </summary>
public static class ProgressDisplay
{
    /// <summary>
    /// A reporter that prints "prefix done/total status (seconds)" about every 10% and at the end; with no known
    /// total (≤ 0), "prefix done status (seconds)" every 10 seconds.
    /// </summary>
    public static Action<int, string> PlainLines(string prefix, int total)
    {
        int lastDecile = -1;
        var start = DateTime.UtcNow;
        var last = DateTime.MinValue;
        return (done, status) =>
        {
            if (total <= 0)
            {
                if ((DateTime.UtcNow - last).TotalSeconds < 10) return;
                last = DateTime.UtcNow;
                CliOutput.Log($"{prefix} {done} {status} ({(DateTime.UtcNow - start).TotalSeconds:F0}s)");
                return;
            }
            int decile = total <= 0 ? 10 : (int)(10L * done / total);
            if (decile == lastDecile && done != total) return;
            lastDecile = decile;
            CliOutput.Log($"{prefix} {done}/{total} {status} ({(DateTime.UtcNow - start).TotalSeconds:F0}s)");
        };
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which reports (done, status text) through the callback it receives.
    /// </summary>
    public static void Run(string title, int total, Action<Action<int, string>> work)
    {
        if (Console.IsErrorRedirected || !CliOutput.Progress.Profile.Capabilities.Interactive)
        {
            work(PlainLines($"{title}:", total));
            return;
        }
        CliOutput.Progress.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, total));
                work((done, status) =>
                {
                    task.Value = done;
                    task.Description = Markup.Escape($"{title} {status}");
                });
            });
    }
}
