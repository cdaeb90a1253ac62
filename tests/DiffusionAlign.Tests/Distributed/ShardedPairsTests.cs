using DiffusionAlign.Tests.Cli;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 dalign pairs</c> writes the files one process writes, byte for byte: each rank draws whole
/// sampling batches (or blocks of renders) in turn, every image from the noise it has alone, and rank 0 labels and
/// writes the gathered pairs.
/// </summary>
public sealed class ShardedPairsTests
{
    [MpirunFact]
    public void TwoRanksWriteTheModelPairsOneProcessWrites()
    {
        using var dir = new TestModels.TempDir();
        // Saved once: both runs must read the same weights.
        string model = CliInputs.MicroModel(dir.Path);
        // One pair per batch: five batches, three on rank 0 and two on rank 1 (unequal shares, interleaved).
        string[] Pairs(string output) =>
        [
            "pairs", "--model", model, "--n", "5", "--batch", "2", "--steps", "2",
            "--seed", "3", "--threads", "1", "--out", output,
        ];
        AssertSameFiles(dir.Path, Pairs);
    }

    [MpirunFact]
    public void TwoRanksWriteTheRendererPairsOneProcessWrites()
    {
        using var dir = new TestModels.TempDir();
        // Renders are shared in blocks of 256 pairs: 300 pairs make a block on each rank.
        string[] Pairs(string output) =>
            ["pairs", "--from", "renderer", "--n", "300", "--seed", "4", "--threads", "1", "--out", output];
        AssertSameFiles(dir.Path, Pairs);
    }

    private static void AssertSameFiles(string root, Func<string, string[]> args)
    {
        string parallel = Path.Combine(root, "parallel"), single = Path.Combine(root, "single");
        var mpi = Mpirun.Dalign(2, args(parallel));
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        Assert.Contains("sharded: 2 processes", mpi.Err);
        var one = Mpirun.Dalign(null, args(single));
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");

        var files = Directory.GetFiles(single, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(single, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(parallel, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(parallel, f)).Order(StringComparer.Ordinal));
        Assert.Contains("pairs.jsonl", files);
        Assert.Contains("labels.json", files);
        foreach (string file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(single, file))
                    .AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(parallel, file))),
                $"{file} differs");
        // The comparison is of real images: at least two different ones were written.
        var images = files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)).ToList();
        Assert.True(images.Select(f => Convert.ToHexString(File.ReadAllBytes(Path.Combine(single, f)))).Distinct()
            .Count() > 1, "the images are all alike");
    }
}
