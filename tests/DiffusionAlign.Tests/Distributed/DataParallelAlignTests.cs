using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>A fact that needs Open MPI's <c>mpirun</c>, skipped with the reason where it is absent.</summary>
public sealed class MpirunFactAttribute : FactAttribute
{
    public MpirunFactAttribute()
    {
        if (Mpirun.Find() is null)
            Skip = "mpirun not found on PATH: data-parallel runs need Open MPI (apt-get install openmpi-bin "
                + "libopenmpi-dev)";
    }
}

/// <summary>Runs <c>dalign</c> as child processes, alone or as the ranks of an <c>mpirun</c> job.</summary>
public static class Mpirun
{
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "mpirun"))
        .FirstOrDefault(File.Exists);

    /// <summary>
    /// Flags for a job on this machine in a container, as root: more ranks than cores allowed, TCP over loopback
    /// between the ranks (shared-memory transports and UCX can fail where /dev/shm or ptrace are restricted).
    /// </summary>
    private static readonly string[] LocalJob =
    [
        "--oversubscribe", "--allow-run-as-root", "--bind-to", "none",
        "--mca", "btl", "self,tcp", "--mca", "pml", "ob1", "--mca", "btl_tcp_if_include", "lo",
    ];

    /// <summary><c>dalign args</c> as <paramref name="ranks"/> processes under mpirun (null: one, alone).</summary>
    public static (int Exit, string Out, string Err) Dalign(int? ranks, params string[] args) =>
        ranks is int n
            ? Start(Find()!, [.. LocalJob, "-np", n.ToString(), Host(), Dll(), .. args])
            : Start(Host(), [Dll(), .. args]);

    /// <summary>
    /// Runs <paramref name="args"/> for 2 steps as 2 ranks, then checks that <c>--resume</c> to step 3 is refused
    /// alone (exit 2, naming both process counts) and finishes as 2 ranks again.
    /// </summary>
    public static void ResumeOnlyUnderTheSameRanks(string[] args)
    {
        var first = Dalign(2, [.. args, "--steps", "2"]);
        Assert.True(first.Exit == 0, $"mpirun exited {first.Exit}:\n{first.Err}");
        var alone = Dalign(null, [.. args, "--steps", "3", "--resume"]);
        Assert.Equal(2, alone.Exit);
        Assert.Contains("mpirun -np 2 (now 1)", alone.Err);
        var again = Dalign(2, [.. args, "--steps", "3", "--resume"]);
        Assert.True(again.Exit == 0, $"mpirun exited {again.Exit}:\n{again.Err}");
    }

    /// <summary>One rank per argument list (mpirun's <c>-np 1 ... : -np 1 ...</c>), each with its own flags.</summary>
    public static (int Exit, string Out, string Err) DalignPerRank(params string[][] perRank)
    {
        var argv = new List<string>(LocalJob);
        for (int rank = 0; rank < perRank.Length; rank++)
        {
            if (rank > 0) argv.Add(":");
            argv.AddRange(["-np", "1", Host(), Dll(), .. perRank[rank]]);
        }
        return Start(Find()!, argv);
    }

    private static string Dll() => Path.Combine(AppContext.BaseDirectory, "dalign.dll");

    private static string Host() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";

    /// <summary>How to start <c>dalign args</c> as <paramref name="ranks"/> processes under mpirun.</summary>
    public static ProcessStartInfo StartInfo(int ranks, params string[] args) =>
        Info(Find()!, [.. LocalJob, "-np", ranks.ToString(), Host(), Dll(), .. args]);

    private static ProcessStartInfo Info(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        // A test host started by mpirun itself must not make the single-process child think it is a rank.
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("OMPI_", StringComparison.Ordinal))
                     .ToList())
            info.Environment.Remove(key);
        return info;
    }

    private static (int Exit, string Out, string Err) Start(string program, IEnumerable<string> args)
    {
        using var process = Process.Start(Info(program, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dalign did not finish in 4 minutes:\n{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>
/// <c>mpirun -np 2 dalign align --batch B</c> trains the model one process trains with <c>--batch 2B</c>: the same
/// pairs in the same global batches, with the same draws per pair, and one all-reduce of the gradient per step.
/// </summary>
public sealed class DataParallelAlignTests(ITestOutputHelper output)
{
    // Only the order in which the gradient is summed differs (each rank sums its B pairs, then the all-reduce adds
    // the two; one process sums 2B), and a UNet on B pairs may block its matrix products differently than on 2B:
    // float32 rounding of about 1e-7 relative per value. AdamW's first steps move each weight by about lr whatever
    // its gradient's size, so a gradient that is near zero can turn a rounding difference into a larger share of
    // its update. Measured here: 4e-6. The bound is 5% of one step's update (lr = 1e-3), far below what one
    // different pair or draw, or a missing all-reduce, gives (each moves weights by about lr; the test checks that
    // the runs moved the weights by far more than the bound).
    private const double Tolerance = 5e-5;
    private const string LearningRate = "1e-3";

    [MpirunFact]
    public void TwoRanksOfBatchBTrainWhatOneProcessOfBatch2BTrains()
    {
        using var dir = new TestModels.TempDir();
        var (model, pairs) = Inputs(dir.Path);
        string[] common =
        [
            "align", "--method", "dpo", "--model", model, "--pairs", pairs, "--steps", "3", "--grad-accum", "2",
            "--warmup", "1", "--lr", LearningRate, "--seed", "5", "--threads", "1", "--random-flip",
            "--prompt-dropout", "0.25",
        ];
        string parallel = Path.Combine(dir.Path, "parallel"), single = Path.Combine(dir.Path, "single");
        var mpi = Mpirun.Dalign(2, [.. common, "--batch", "2", "--out", parallel]);
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        var one = Mpirun.Dalign(null, [.. common, "--batch", "4", "--out", single]);
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");

        var a = Weights(parallel);
        var b = Weights(single);
        var start = Weights(model);
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        double maxDifference = a.Keys.Max(k => a[k].Zip(b[k], (x, y) => Math.Abs((double)x - y)).Max());
        double maxMoved = a.Keys.Max(k => a[k].Zip(start[k], (x, y) => Math.Abs((double)x - y)).Max());
        output.WriteLine($"largest weight difference {maxDifference:E2}; largest move from the start {maxMoved:E2}");
        Assert.True(maxMoved > 20 * Tolerance, $"training moved no weight by more than {maxMoved}");
        Assert.True(maxDifference <= Tolerance, $"the runs' weights differ by up to {maxDifference}");

        // The logged means are over the same global batch (each rank's mean of its half, averaged). DPO's β (2000)
        // multiplies the rounding differences of the per-pair errors, so the loss is compared to a relative 1e-4.
        var lossA = Losses(parallel);
        var lossB = Losses(single);
        Assert.Equal(3, lossA.Count);
        Assert.Equal(lossB.Count, lossA.Count);
        for (int i = 0; i < lossA.Count; i++)
        {
            output.WriteLine($"step {i + 1}: loss {lossA[i]} (2 ranks), {lossB[i]} (1 process)");
            Assert.True(Math.Abs(lossA[i] - lossB[i]) <= 1e-4 * Math.Abs(lossB[i]),
                $"step {i + 1}: loss {lossA[i]} with 2 ranks, {lossB[i]} alone");
        }
        // Only rank 0 wrote: one model, one metrics file, one progress stream's result.
        Assert.Contains("data parallel: 2 processes × 2 pairs", mpi.Err);
    }

    [MpirunFact]
    public void ACheckpointResumesOnlyUnderTheSameNumberOfProcesses()
    {
        using var dir = new TestModels.TempDir();
        var (model, pairs) = Inputs(dir.Path);
        string run = Path.Combine(dir.Path, "run");
        string[] args =
        [
            "align", "--method", "sft", "--model", model, "--pairs", pairs, "--out", run, "--batch", "2",
            "--threads", "1", "--seed", "1",
        ];
        Mpirun.ResumeOnlyUnderTheSameRanks(args);
        Assert.Equal([1, 2, 3], File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()));
    }

    [MpirunFact]
    public void EveryRankStartsFromRankZerosWeights()
    {
        using var dir = new TestModels.TempDir();
        var (model, pairs) = Inputs(dir.Path);
        // Rank 1 is handed a UNet of other weights; the broadcast must replace them (and its reference copy's)
        // with rank 0's, or its gradients, and so the average, would differ from the one-process run's.
        string other = Path.Combine(dir.Path, "other-unet");
        using (var m = TextToImageModel.Load(model))
        {
            using (no_grad())
                foreach (var p in m.Unet.parameters()) p.normal_();
            m.Save(other);
        }
        string[] common =
        [
            "align", "--method", "dpo", "--pairs", pairs, "--steps", "2", "--warmup", "0", "--lr", LearningRate,
            "--seed", "2", "--threads", "1", "--out",
        ];
        string parallel = Path.Combine(dir.Path, "parallel"), single = Path.Combine(dir.Path, "single");
        var mpi = Mpirun.DalignPerRank(
            [.. common, parallel, "--batch", "2", "--model", model],
            [.. common, parallel, "--batch", "2", "--model", other]);
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        var one = Mpirun.Dalign(null, [.. common, single, "--model", model, "--batch", "4"]);
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");
        var a = Weights(parallel);
        var b = Weights(single);
        double maxDifference = a.Keys.Max(k => a[k].Zip(b[k], (x, y) => Math.Abs((double)x - y)).Max());
        Assert.True(maxDifference <= Tolerance, $"the runs' weights differ by up to {maxDifference}");
    }

    [MpirunFact]
    public void RanksGivenDifferentSettingsRefuseToTrain()
    {
        using var dir = new TestModels.TempDir();
        var (model, pairs) = Inputs(dir.Path);
        string[] common =
        [
            "align", "--method", "sft", "--model", model, "--pairs", pairs, "--steps", "1", "--batch", "2",
            "--threads", "1", "--out", Path.Combine(dir.Path, "run"),
        ];
        var mpi = Mpirun.DalignPerRank([.. common, "--seed", "1"], [.. common, "--seed", "2"]);
        Assert.NotEqual(0, mpi.Exit);
        Assert.Contains("dalign: error: the 2 processes disagree on the run's settings", mpi.Err);
        Assert.False(File.Exists(Path.Combine(dir.Path, "run", "metrics.jsonl")));
    }

    /// <summary>The micro model and 16 clean-vs-flawed pairs at 16 pixels, saved in <paramref name="dir"/>.</summary>
    private static (string Model, string Pairs) Inputs(string dir)
    {
        string model = Path.Combine(dir, "model");
        using (var m = TestModels.Micro(seed: 1)) m.Save(model);
        string pairs = Path.Combine(dir, "pairs");
        PairsFolder.Write(pairs, Training.PreferenceTrainerTests.RendererPairs(16));
        return (model, pairs);
    }

    private static Dictionary<string, float[]> Weights(string folder) =>
        WeightFiles.Read(Path.Combine(folder, TextToImageModel.WeightsFileName));

    private static List<double> Losses(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToList();
}
