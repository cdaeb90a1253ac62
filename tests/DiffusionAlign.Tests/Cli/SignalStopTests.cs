using System.Diagnostics;
using DiffusionAlign.Cli;
using DiffusionAlign.Tests.Reliability;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// A SIGTERM (what a scheduler, a container stop or <c>kill</c> sends) stops <c>dalign pairs</c> and
/// <c>dalign eval</c> mid-sampling: the child exits soon with the Cancelled code, says so, and writes no --out;
/// it stops <c>dalign study</c> mid-grid, keeping the stages it finished.
/// The work asked for is far more than a test can wait for, so only a working stop ends it in time.
/// </summary>
public sealed class SignalStopTests : IDisposable
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(120);

    private readonly TestModels.TempDir _dir = new();

    [Fact]
    public void Sigterm_stops_pairs_while_sampling_and_writes_nothing()
    {
        string model = CliInputs.MicroModel(_dir.Path);
        string outDir = Path.Combine(_dir.Path, "pairs-out");
        // 32 pairs a batch: a progress line after the first, then thousands of batches still to go.
        StopsOnSigterm(
            ["pairs", "--model", model, "--n", "200000", "--out", outDir, "--steps", "2", "--threads", "1"],
            "pairs:", outDir);
    }

    [Fact]
    public void Sigterm_stops_eval_while_sampling_and_writes_nothing()
    {
        string model = CliInputs.MicroModel(_dir.Path);
        string results = Path.Combine(_dir.Path, "eval-out", "results.json");
        StopsOnSigterm(
            [
                "eval", "--model", "base=" + model, "--baseline", "base", "--prompts", "15", "--seeds", "4000",
                "--steps", "2", "--out", results, "--threads", "1",
            ],
            "eval:", results);
    }

    [Fact]
    public void Sigterm_stops_study_in_the_grid_and_keeps_the_finished_stages()
    {
        string model = CliInputs.MicroModel32(_dir.Path);
        string outDir = Path.Combine(_dir.Path, "study-out");
        using var child = StartAndSignal(
            ["study", "--quick", "--base", model, "--out", outDir, "--threads", "1"], "  grid ");
        Assert.True(child.ExitCode == CommandRunner.Cancelled,
            $"exit code {child.ExitCode}, expected {CommandRunner.Cancelled}:\n{child.Stdout}\n{child.Stderr}");
        Assert.Contains("cancelled", child.Stderr, StringComparison.Ordinal);
        // The pairs stage finished before the signal and stays for the next run; the study did not.
        Assert.True(File.Exists(Path.Combine(outDir, "stages", "pairs.json")), child.Stderr);
        Assert.False(File.Exists(Path.Combine(outDir, "study.json")), "a stopped study wrote study.json");
    }

    public void Dispose() => _dir.Dispose();

    private static void StopsOnSigterm(IReadOnlyList<string> args, string progressPrefix, string outPath)
    {
        using var child = StartAndSignal(args, progressPrefix);
        Assert.True(child.ExitCode == CommandRunner.Cancelled,
            $"exit code {child.ExitCode}, expected {CommandRunner.Cancelled}:\n{child.Stdout}\n{child.Stderr}");
        Assert.Contains("cancelled", child.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath) || Directory.Exists(outPath), $"{outPath} was written by a stopped run");
    }

    /// <summary>
    /// Starts dalign, sends SIGTERM once <paramref name="progressPrefix"/> is printed and waits for the exit.
    /// </summary>
    private static KillResumeChild StartAndSignal(IReadOnlyList<string> args, string progressPrefix)
    {
        var child = KillResumeChild.Start(args);
        try
        {
            var started = Stopwatch.StartNew();
            // A progress line is printed after a finished batch, so the signal lands while sampling, not while
            // LibTorch loads (before the handler is registered, when SIGTERM would end the process outright).
            while (!child.Stderr.Contains(progressPrefix, StringComparison.Ordinal)) // progress is on stderr
            {
                Assert.False(child.HasExited, $"dalign exited before sampling:\n{child.Stdout}\n{child.Stderr}");
                Assert.True(started.Elapsed < StartWithin,
                    $"no '{progressPrefix}' progress line within {StartWithin.TotalSeconds} s:\n{child.Stderr}");
                Thread.Sleep(20);
            }

            var signalled = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", $"-TERM {child.Id}"))
            {
                kill.WaitForExit();
                Assert.Equal(0, kill.ExitCode);
            }
            while (!child.HasExited && signalled.Elapsed < StopWithin) Thread.Sleep(20);
            Assert.True(child.HasExited,
                $"dalign still ran {StopWithin.TotalSeconds} s after SIGTERM:\n{child.Stdout}\n{child.Stderr}");
            child.WaitForExit(); // drains the output pipes
            return child;
        }
        catch
        {
            child.Dispose(); // kills a child a failed assertion left running
            throw;
        }
    }
}
