using System.Text.Json.Nodes;
using DiffusionAlign.Tests.Cli;
using DiffusionAlign.Training;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 dalign demo</c> writes what one process writes: the ranks share the pairs' and the evaluation's
/// sampling in whole batches, train the four alignment runs whole (two each), and rank 0 writes the results.
/// </summary>
public sealed class DistributedDemoTests
{
    [MpirunFact]
    public void TwoRanksWriteTheResultsWeightsAndPicturesOneProcessWrites()
    {
        using var dir = new TestModels.TempDir();
        // Saved once: both runs must start from the same weights.
        string model = CliInputs.MicroModel(dir.Path);
        // The same threads in both: LibTorch may split a reduction differently across another number of threads.
        string[] Demo(string output) =>
            ["demo", "--quick", "--base", model, "--seed", "3", "--threads", "1", "--json", "--out", output];
        string parallel = Path.Combine(dir.Path, "parallel"), single = Path.Combine(dir.Path, "single");
        var mpi = Mpirun.Dalign(2, Demo(parallel));
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        var one = Mpirun.Dalign(null, Demo(single));
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");

        // results.json has no timing fields; only the output folder, recorded in model_folders, differs.
        Assert.Equal(ComparableFiles.WithoutTimings(single, "results.json"),
            ComparableFiles.WithoutTimings(parallel, "results.json"));
        Assert.Equal(4, ComparableFiles.AssertSameBytes(single, parallel, "model.safetensors"));
        Assert.True(ComparableFiles.AssertSameBytes(single, parallel, "*.png") > 1);
        // pairs.jsonl byte for byte; each training run's metrics.jsonl without its throughput (a timing).
        Assert.Equal(2, ComparableFiles.AssertSameBytes(single, parallel, "pairs.jsonl"));
        Assert.Equal(4, ComparableFiles.AssertSameJsonLines(single, parallel, "metrics.jsonl",
            PreferenceTrainer.ThroughputName));
        ComparableFiles.AssertSameBytes(single, parallel, "labels.json");

        // Rank 1 trained every other run (dpo, dspo-sdxl) and said so, one line each; rank 0 alone printed the
        // results, as JSON and nothing else.
        var rank1 = mpi.Err.Split('\n').Where(l => l.StartsWith("rank 1: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rank1.Count);
        Assert.Contains(rank1, l => l.StartsWith("rank 1: dpo: trained", StringComparison.Ordinal));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(parallel, "results.json"))),
            JsonNode.Parse(mpi.Out)), $"stdout is not the results file:\n{mpi.Out}");
        // Every method was trained and evaluated: the comparison is of real models.
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(single, "results.json")))!;
        Assert.Equal(5, results["models"]!.AsObject().Count);
    }
}
