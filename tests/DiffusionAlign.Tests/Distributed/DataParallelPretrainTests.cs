using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 dalign pretrain --batch B</c> trains the model one process trains with <c>--batch 2B</c>: the same
/// images in each global batch, with the same draws per image, and one all-reduce of the gradient per step.
/// </summary>
public sealed class DataParallelPretrainTests(ITestOutputHelper output)
{
    // As for align (DataParallelAlignTests says why), only the order in which the gradient is summed differs: most
    // weights then differ by float32 rounding (measured: median 2e-9, 99.9th percentile 2.5e-7). AdamW's first steps
    // move each weight by about lr whatever its gradient's size, so the few weights whose gradient is within
    // rounding of zero can differ by a share of an update (measured: 2 of 1.5M weights above 5e-5, the largest
    // 1.0e-4 at lr 1e-3). A different image or draw, or a missing all-reduce, changes most weights' gradients and
    // moves most weights about lr apart; the bounds below are far from that and above what was measured.
    private const double Percentile999Bound = 1e-6;
    private const double MaxBound = 1e-3; // one step's update at lr 1e-3

    [MpirunFact]
    public void TwoRanksOfBatchBTrainWhatOneProcessOfBatch2BTrains()
    {
        using var dir = new TestModels.TempDir();
        string[] common =
            ["pretrain", "--steps", "3", "--warmup", "0", "--lr", "1e-3", "--seed", "5", "--threads", "1"];
        string parallel = Path.Combine(dir.Path, "parallel"), single = Path.Combine(dir.Path, "single");
        var mpi = Mpirun.Dalign(2, [.. common, "--batch", "2", "--out", parallel]);
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        var one = Mpirun.Dalign(null, [.. common, "--batch", "4", "--out", single]);
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");
        Assert.Contains("data parallel: 2 processes × 2 images per step", mpi.Err);

        // The saved model (the moving average) and the last iterate in the final checkpoint.
        string ModelFile(string run) => Path.Combine(run, TextToImageModel.WeightsFileName);
        string StateFile(string run) => Path.Combine(run, "checkpoint", "step-000003", "state.safetensors");
        var state = WeightFiles.Read(StateFile(parallel));
        var stateDifferences = WeightFiles.Differences(state, WeightFiles.Read(StateFile(single)));
        var modelDifferences = WeightFiles.Differences(
            WeightFiles.Read(ModelFile(parallel)), WeightFiles.Read(ModelFile(single)));
        // The same seed initialises the same model: the distance from it is how far training moved the weights.
        var start = Untrained();
        double moved = start.Keys.Max(k => state[k].Zip(start[k], (x, y) => Math.Abs((double)x - y)).Max());
        output.WriteLine($"differences of the last iterate: median {WeightFiles.Quantile(stateDifferences, 0.5):E2}, "
            + $"99.9th percentile {WeightFiles.Quantile(stateDifferences, 0.999):E2}, "
            + $"largest {stateDifferences[^1]:E2}; largest move from the start {moved:E2}");
        Assert.True(moved > 1e-3, $"training moved no weight by more than {moved}");
        foreach (var (what, differences) in new[] { ("last iterate", stateDifferences), ("model", modelDifferences) })
        {
            double p999 = WeightFiles.Quantile(differences, 0.999);
            Assert.True(p999 <= Percentile999Bound, $"the runs' {what} differ by {p999} at the 99.9th percentile");
            Assert.True(differences[^1] <= MaxBound, $"the runs' {what} differ by up to {differences[^1]}");
        }
        // The reported loss is the global batch's (each rank's mean of its half, averaged), printed to 4 decimals.
        Assert.True(Math.Abs(Loss(one.Err) - Loss(mpi.Err)) <= 2e-4, $"loss {Loss(mpi.Err)} vs {Loss(one.Err)}");
    }

    [MpirunFact]
    public void ACheckpointResumesOnlyUnderTheSameNumberOfProcesses()
    {
        using var dir = new TestModels.TempDir();
        string run = Path.Combine(dir.Path, "run");
        string[] args = ["pretrain", "--out", run, "--batch", "2", "--warmup", "0", "--threads", "1", "--seed", "1"];
        Mpirun.ResumeOnlyUnderTheSameRanks(args);
        Assert.True(Directory.Exists(Path.Combine(run, "checkpoint", "step-000003")));
    }

    /// <summary>The shapes model as pretrain --seed 5 initialises it, before any step.</summary>
    private static Dictionary<string, float[]> Untrained()
    {
        using var dir = new TestModels.TempDir();
        var world = new ShapesWorld();
        using (var m = TextToImageModel.Create(ShapesModel.Config(world), seed: 5)) m.Save(dir.Path);
        return WeightFiles.Read(Path.Combine(dir.Path, TextToImageModel.WeightsFileName));
    }

    /// <summary>The last progress line's loss.</summary>
    private static double Loss(string stderr) => double.Parse(
        System.Text.RegularExpressions.Regex.Matches(stderr, @"loss (\d+\.\d+)").Last().Groups[1].Value,
        System.Globalization.CultureInfo.InvariantCulture);
}
