using System.Text.Json.Nodes;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// <c>dalign bench --mpi</c> at a tiny size, in the two layouts of one machine's two cores: 2 processes × 1 thread
/// under mpirun and 1 process × 2 threads alone, merged into one bench.json with the scaling between them. (The
/// figures of such a run mean nothing; the lead measures on an idle machine with the defaults.)
/// </summary>
public sealed class DataParallelBenchTests
{
    [MpirunFact]
    public void EachLayoutIsWrittenAndTheScalingBetweenThem()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "bench.json");
        File.WriteAllText(path, """{ "kept": 1 }""");
        string[] Bench(int threads) =>
        [
            "bench", "--mpi", "--pairs", "2", "--large-pairs", "4", "--warmup-steps", "0", "--timed-steps", "1",
            "--threads", threads.ToString(), "--out", path,
        ];
        var mpi = Mpirun.Dalign(2, Bench(1));
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        Assert.DoesNotContain('\x1B', mpi.Out);
        Assert.Contains("wrote the mpi section", mpi.Out);
        var alone = Mpirun.Dalign(null, Bench(2));
        Assert.True(alone.Exit == 0, $"dalign exited {alone.Exit}:\n{alone.Err}");

        var root = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(1, (int)root["kept"]!);
        var layouts = root["mpi"]!["layouts"]!.AsObject();
        Assert.Equal(["1x2", "2x1"], layouts.Select(kv => kv.Key).Order());
        var parallel = layouts["2x1"]!;
        long parameters = (long)parallel["trainable_parameters"]!;
        Assert.True(parameters > 0);
        var cases = parallel["cases"]!.AsArray();
        Assert.Equal([2, 4], cases.Select(c => (int)c!["global_pairs"]!));
        foreach (var c in cases)
        {
            Assert.Equal((int)c!["global_pairs"]! / 2, (int)c["pairs_per_process"]!);
            Assert.Equal(4 * parameters, (long)c["allreduce_bytes"]!);
            Assert.Equal(4 * parameters, (long)c["ring_bytes_per_process"]!); // 2(N − 1)/N = 1 at N = 2
            Assert.True((double)c["allreduce_seconds"]! > 0);
        }
        var scaling = root["mpi"]!["scaling"]!.AsArray();
        Assert.Equal(2, scaling.Count);
        foreach (var s in scaling)
            Assert.Equal((double)s!["pairs_per_second"]! / (double)s["against_pairs_per_second"]!,
                (double)s["efficiency"]!, 9);
        Assert.Contains("scaling efficiency 2x1 against 1x2", alone.Out);
    }
}
