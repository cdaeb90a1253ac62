using System.Diagnostics;
using DiffusionAlign.Runtime;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Runs a target's cases in order on one worker thread, watching from the test thread: a case running past the
/// timeout fails the run as a hang (its thread is left behind, as nothing can stop it safely). Each call is
/// measured twice: with the process's allocated-bytes counter, which also sees the pool threads async readers use,
/// and by sampling resident memory every few milliseconds, which also sees native allocations.
/// </summary>
public static class FuzzHarness
{
    /// <summary>What the watcher needs of the running case, written by the worker.</summary>
    private sealed class RunningCase
    {
        public long Started;
        public long ResidentPeak;
        public int Index = -1;
    }

    public static FuzzTally Run(FuzzTarget target, int cases, ITestOutputHelper output)
    {
        var tally = new FuzzTally(target.Format);
        var running = new RunningCase();
        using var resident = new FuzzResidentMemory();
        Exception? harnessError = null;
        var clock = Stopwatch.StartNew();
        var worker = new Thread(() =>
        {
            using var _ = Warnings.Redirect(message =>
            {
                tally.Warnings++;
                if (message.Contains('\n'))
                    tally.Violation($"{target.Format}: warning of several lines: {message}");
            });
            try
            {
                target.Warmup?.Invoke();
                foreach (int i in FuzzSettings.Indices(cases))
                {
                    running.Index = i;
                    var input = target.Prepare(i, FuzzSettings.CaseRandom(target.Format, i));
                    tally.Cases++;
                    long atStart = resident.Bytes() ?? 0;
                    Volatile.Write(ref running.ResidentPeak, atStart);
                    Volatile.Write(ref running.Started, Stopwatch.GetTimestamp());
                    RunCase(target, tally, i, input, () =>
                    {
                        Volatile.Write(ref running.Started, 0);
                        return Math.Max(Volatile.Read(ref running.ResidentPeak), resident.Bytes() ?? 0) - atStart;
                    });
                }
            }
            catch (Exception e)
            {
                harnessError = e;
            }
        }) { IsBackground = true, Name = $"fuzz {target.Format}" };
        worker.Start();
        while (!worker.Join(2))
        {
            long started = Volatile.Read(ref running.Started);
            if (started == 0) continue;
            if (resident.Bytes() is long now && now > Volatile.Read(ref running.ResidentPeak))
                Volatile.Write(ref running.ResidentPeak, now);
            if (Stopwatch.GetElapsedTime(started) > target.Timeout)
            {
                tally.Violation($"{target.Format} case {running.Index}: still running after "
                    + $"{target.Timeout.TotalSeconds} s (a hang)");
                break;
            }
        }
        tally.Seconds = clock.Elapsed.TotalSeconds;
        if (harnessError is not null) throw new InvalidOperationException("the fuzz harness failed", harnessError);
        output.WriteLine(tally.Summary());
        foreach (string violation in tally.Violations.Take(30)) output.WriteLine("  " + violation);
        tally.WriteReport();
        return tally;
    }

    /// <summary>
    /// Fails on any broken contract, and on a run of many cases that never succeeded or never failed: its mutations
    /// would then be too weak, or too strong, to reach the reader's checks.
    /// </summary>
    public static void AssertHeld(FuzzTally tally)
    {
        Assert.True(tally.Violations.Count == 0,
            $"{tally.Violations.Count} violations, the first:\n" + string.Join("\n", tally.Violations.Take(10)));
        if (tally.Cases >= 50)
            Assert.True(tally.Successes > 0 && tally.Exceptions.Count > 0, tally.Summary());
    }

    private static void RunCase(FuzzTarget target, FuzzTally tally, int index, FuzzInput input, Func<long> finish)
    {
        // A mutation may write a key thousands of characters long; the report needs only its start.
        string what = input.Description.Length > 120 ? input.Description[..120] + "…" : input.Description;
        string name = $"{target.Format} case {index} ({what})";
        long before = GC.GetTotalAllocatedBytes(precise: true);
        object? result = null;
        Exception? error = null;
        try
        {
            result = target.Call(input);
        }
        catch (Exception e)
        {
            error = e;
        }
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        long residentGrowth = finish();
        tally.MaxAllocatedBytes = Math.Max(tally.MaxAllocatedBytes, allocated);
        tally.MaxResidentGrowth = Math.Max(tally.MaxResidentGrowth, residentGrowth);
        tally.MaxAllocationPerInputByte =
            Math.Max(tally.MaxAllocationPerInputByte, allocated / (double)Math.Max(1, input.InputBytes));
        long bound = target.AllocationBound(input.InputBytes);
        if (allocated > bound)
            tally.Violation($"{name}: allocated {allocated} bytes for {input.InputBytes} input bytes "
                + $"(bound {bound})");
        long residentBound = target.ResidentBound(input.InputBytes);
        if (residentGrowth > residentBound)
            tally.Violation($"{name}: resident memory grew by {residentGrowth} bytes for {input.InputBytes} "
                + $"input bytes (bound {residentBound}): a native allocation the files do not justify");

        if (error is null)
        {
            tally.Successes++;
            if (target.CheckSuccess?.Invoke(input, result) is string problem)
                tally.Violation($"{name}: {problem}");
            return;
        }
        string type = error.GetType().Name;
        tally.Exceptions[type] = tally.Exceptions.GetValueOrDefault(type) + 1;
        if (!target.Documented(error))
        {
            tally.Violation(
                $"{name}: undocumented {error.GetType().FullName}: {error.Message}\n{error.StackTrace}");
            return;
        }
        if (!error.Message.Contains(input.Path, StringComparison.Ordinal))
            tally.Violation($"{name}: message does not name {input.Path}: {error.Message}");
        if (error.Message.Contains('\n'))
            tally.Violation($"{name}: message of several lines: {error.Message}");
        if (target.CheckMessage?.Invoke(input, error) is string messageProblem)
            tally.Violation($"{name}: {messageProblem}");
    }
}
