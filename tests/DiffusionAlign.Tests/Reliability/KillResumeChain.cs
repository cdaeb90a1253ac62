namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Kills a training command at planned moments and restarts it as a user would: <c>--resume</c> after a kill, and
/// when that finds nothing to resume (the kill came before the first checkpoint), the same command again with
/// <c>--overwrite</c>. Each run that finishes is compared with an uninterrupted one; if kills remain, a new run in
/// a fresh folder takes them.
/// </summary>
public static class KillResumeChain
{
    /// <summary>
    /// The kills; per finished run, what differed from the uninterrupted run (null: nothing); one line per start.
    /// </summary>
    public sealed record Result(List<KillResumeKill> Kills, List<string?> Differences, List<string> Starts,
        TimeSpan Elapsed);

    /// <param name="args">The command's arguments for an --out folder, without --resume/--overwrite.</param>
    /// <param name="compare">What differs between a finished --out and the uninterrupted run, or null.</param>
    public static Result Run(Func<string, IReadOnlyList<string>> args, string root,
        IReadOnlyList<KillResumeTrigger> plan, Func<string, string?> compare)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var kills = new List<KillResumeKill>();
        var differences = new List<string?>();
        var starts = new List<string>();
        int run = 0;
        string mode = "";
        KillResumeKill? last = null;
        KillResumeTrigger? retry = null;
        // Each start either dies by a planned kill, or finishes; the bound only guards against a loop.
        for (int start = 0; start < 4 * plan.Count + 8; start++)
        {
            string outDir = Path.Combine(root, $"run-{run}");
            var trigger = retry ?? (kills.Count < plan.Count ? plan[kills.Count] : null);
            // A write can finish between the watcher seeing it and the kill; until one kill has landed inside a
            // write, every kill aims at one.
            if (trigger is not null && !kills.Any(k => k.MidWrite)) trigger = trigger.AtCheckpointWrite();
            var writes = new KillResumeWrites(outDir, resume: mode == "--resume");
            using var child = KillResumeChild.Start(mode == "" ? args(outDir) : [.. args(outDir), mode]);
            double? killedAt = trigger is null ? null : Watch(child, trigger, writes);
            child.WaitForExit();
            string began = $"run {run} {(mode == "" ? "started" : mode)}, kill {trigger?.ToString() ?? "none"}: ";
            if (last is not null && mode == "--resume")
            {
                last.Recovery = "resumed";
                last.ResumeWarnings = child.Stderr.Split('\n').Where(l => l.StartsWith("warning:")).ToList();
            }
            if (killedAt is { } seconds && child.ExitCode == KillResumeChild.KilledExitCode)
            {
                last = Describe(run, trigger!, seconds, outDir, writes, child.Stdout);
                kills.Add(last);
                starts.Add(began + "killed");
                mode = "--resume";
                retry = null;
                continue;
            }
            if (mode == "--resume" && child.ExitCode != 0 && child.Stderr.Contains("nothing to resume"))
            {
                last!.Recovery = "nothing to resume: started again with --overwrite";
                starts.Add(began + "nothing to resume");
                mode = "--overwrite";
                retry = trigger;
                continue;
            }
            if (child.ExitCode != 0)
                throw new Xunit.Sdk.XunitException(
                    $"dalign {string.Join(' ', args(outDir))} {mode} exited with {child.ExitCode}:\n{child.Stderr}");
            starts.Add(began + "finished");
            differences.Add(compare(outDir));
            if (kills.Count >= plan.Count) return new Result(kills, differences, starts, clock.Elapsed);
            // Kills remain: a new run in a fresh folder takes them, starting with the one that came too late.
            retry = trigger?.Sooner();
            run++;
            mode = "";
            last = null;
        }
        throw new Xunit.Sdk.XunitException(
            $"only {kills.Count} of {plan.Count} planned kills landed:\n{string.Join('\n', starts)}");
    }

    /// <summary>Waits for the trigger, then kills: seconds from start to the kill, or null if it ended first.</summary>
    private static double? Watch(KillResumeChild child, KillResumeTrigger trigger, KillResumeWrites writes)
    {
        var seen = new HashSet<int>();
        while (!child.HasExited)
        {
            bool fire;
            if (trigger.Delay is { } delay)
            {
                fire = child.Clock.Elapsed >= delay;
            }
            else
            {
                // Count each write once, as a temp folder or (if it was too quick to see) as its final folder; fire
                // on a write seen in progress once the earlier ones have been counted.
                fire = false;
                foreach (var w in writes.Current().OrderBy(w => w.Step))
                    if (seen.Add(w.Step) && w.InProgress && seen.Count >= trigger.CheckpointWrite) fire = true;
            }
            if (fire)
            {
                double at = child.Clock.Elapsed.TotalSeconds;
                child.Kill();
                return at;
            }
            // A millisecond: writing a checkpoint of the test model (hashes included) takes several.
            Thread.Sleep(1);
        }
        return null;
    }

    private static KillResumeKill Describe(int run, KillResumeTrigger trigger, double seconds, string outDir,
        KillResumeWrites writes, string stdout)
    {
        var partial = writes.Current().Where(w => w.InProgress).ToList();
        int? logged = KillResumeFolder.MetricsSteps(outDir).Select(s => (int?)s).LastOrDefault();
        int? printed = KillResumeFolder.ProgressStep(stdout);
        return new KillResumeKill
        {
            Run = run,
            Trigger = trigger.ToString(),
            KilledAfterSeconds = seconds,
            StepReached = logged is null && printed is null ? null : Math.Max(logged ?? 0, printed ?? 0),
            NewestCheckpoint = KillResumeFolder.NewestStep(outDir),
            MidWrite = partial.Count > 0,
            PartialWrite = partial.Count == 0
                ? null
                : string.Join("; ",
                    partial.Select(w => $"{Path.GetFileName(w.Path)}: {KillResumeFolder.Contents(w.Path)}")),
        };
    }
}
