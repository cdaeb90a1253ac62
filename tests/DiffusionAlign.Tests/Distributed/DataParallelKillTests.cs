using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// A rank of <c>mpirun -np 2 dalign align</c> killed mid-run (SIGKILL: what an OOM kill or a lost node does) ends the
/// whole job with a failure, and <c>--resume</c> under the same mpirun continues from the last checkpoint to the
/// weights an uninterrupted run reaches.
/// </summary>
public sealed class DataParallelKillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [MpirunFact]
    public void ARankKilledMidRunFailsTheJobAndResumeFinishesTheRun()
    {
        using var dir = new TestModels.TempDir();
        string model = Path.Combine(dir.Path, "model");
        using (var m = TestModels.Micro(seed: 1)) m.Save(model);
        string pairs = Path.Combine(dir.Path, "pairs");
        PairsFolder.Write(pairs, Training.PreferenceTrainerTests.RendererPairs(16));
        // A constant rate makes the number of steps no part of the run (a resume may name fewer or more), so the
        // killed run can be long enough never to end before the kill, whatever the machine's speed.
        string[] Args(string run) =>
        [
            "align", "--method", "dpo", "--model", model, "--pairs", pairs, "--out", run, "--batch", "2",
            "--lr-scheduler", "constant", "--lr", "1e-3", "--seed", "7", "--threads", "1", "--checkpoint-every", "1",
            "--log-every", "1",
        ];
        string run = Path.Combine(dir.Path, "run");
        string checkpoints = Path.Combine(run, "checkpoint");

        using (var job = MpirunJob.Start(2, [.. Args(run), "--steps", "100000"]))
        {
            // Killed once two checkpoints exist: one step is surely behind the job, whose ranks are mid-run.
            var clock = Stopwatch.StartNew();
            while (Steps(checkpoints).Count < 2)
            {
                Assert.False(job.HasExited, $"mpirun ended before its second checkpoint:\n{job.Stderr}");
                Assert.True(clock.Elapsed < Limit, $"no second checkpoint within {Limit}:\n{job.Stderr}");
                Thread.Sleep(50);
            }
            int victim = job.RankProcess(1) ?? throw new InvalidOperationException("rank 1's process not found");
            using (var rank = Process.GetProcessById(victim)) rank.Kill(); // SIGKILL on Linux
            job.WaitForExit(Limit);
            output.WriteLine($"mpirun exited {job.ExitCode} after rank 1 (pid {victim}) was killed");
            Assert.NotEqual(0, job.ExitCode);
        }

        int saved = Steps(checkpoints).Max();
        int steps = saved + 3;
        output.WriteLine($"newest checkpoint: step {saved}; resuming to step {steps}");
        var resumed = Mpirun.Dalign(2, [.. Args(run), "--steps", Text(steps), "--resume"]);
        Assert.True(resumed.Exit == 0, $"the resumed job exited {resumed.Exit}:\n{resumed.Err}");
        // Each step logged once: the lines the killed job wrote after its last checkpoint were dropped.
        Assert.Equal(Enumerable.Range(1, steps), File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()));

        string straight = Path.Combine(dir.Path, "straight");
        var uninterrupted = Mpirun.Dalign(2, [.. Args(straight), "--steps", Text(steps)]);
        Assert.True(uninterrupted.Exit == 0,
            $"the uninterrupted job exited {uninterrupted.Exit}:\n{uninterrupted.Err}");
        var a = WeightFiles.Read(Path.Combine(run, TextToImageModel.WeightsFileName));
        var b = WeightFiles.Read(Path.Combine(straight, TextToImageModel.WeightsFileName));
        // Bit for bit: the same steps on the same draws, summed in the same order, from exactly the saved state.
        Assert.Equal(0.0, WeightFiles.Differences(a, b)[^1]);
    }

    /// <summary>The steps of the complete checkpoints in <paramref name="folder"/>.</summary>
    private static List<int> Steps(string folder) =>
        !Directory.Exists(folder)
            ? []
            : Directory.GetDirectories(folder, "step-*")
                .Select(d => int.Parse(Path.GetFileName(d)["step-".Length..], CultureInfo.InvariantCulture))
                .ToList();

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
