using System.Text.Json.Nodes;
using DiffusionAlign.Data;
using DiffusionAlign.Tests.Cli;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 dalign eval</c> writes the results one process writes: each rank samples and scores its share of
/// the sampling batches and of the held-out pairs, every sample from the noise it has alone, and the scores are
/// gathered in sample order before any statistic is computed.
/// </summary>
public sealed class ShardedEvalTests
{
    [MpirunFact]
    public void TwoRanksWriteTheResultsOneProcessWrites()
    {
        using var dir = new TestModels.TempDir();
        string other = Path.Combine(dir.Path, "other");
        using (var m = TestModels.Micro(seed: 2)) m.Save(other);
        // 40 pairs make two batches of the denoising-error estimate (32 pairs each): one per rank.
        string pairs = Path.Combine(dir.Path, "pairs");
        PairsFolder.Write(pairs, Training.PreferenceTrainerTests.RendererPairs(40));
        // Saved once: both runs must read the same weights.
        string model = CliInputs.MicroModel(dir.Path);
        string[] Eval(string results) =>
        [
            "eval", "--model", "base=" + model, "--model", "other=" + other,
            "--baseline", "base", "--prompts", "2", "--seeds", "2", "--steps", "2", "--threads", "1",
            // One sample per batch: each rank draws two of the four samples, interleaved.
            "--batch", "1", "--pairs", pairs, "--elbo-draws", "2", "--json", "--out", results,
        ];
        string parallel = Path.Combine(dir.Path, "parallel.json"), single = Path.Combine(dir.Path, "single.json");
        var mpi = Mpirun.Dalign(2, Eval(parallel));
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        var one = Mpirun.Dalign(null, Eval(single));
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");

        Assert.Equal(File.ReadAllText(single), File.ReadAllText(parallel));
        // Only rank 0 printed: stdout is one JSON document, the one it wrote, and nothing else. mpirun gives each rank
        // a terminal for stdout, where .NET would start with the terminal's keypad sequence (MpirunStdout).
        Assert.DoesNotContain('\x1B', mpi.Out);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(parallel)), JsonNode.Parse(mpi.Out)),
            $"stdout is not the results file:\n{mpi.Out}");
        // Both models were sampled and ranked, so the comparison is of real scores, not of two empty tables.
        var results = JsonNode.Parse(File.ReadAllText(single))!;
        Assert.Equal(2, results["models"]!.AsObject().Count);
        Assert.Equal(2, results["ranking_accuracy"]!.AsObject().Count);
        Assert.Equal(40, (int)results["held_out_pairs"]!);
    }
}
