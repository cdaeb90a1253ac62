using DiffusionAlign.Experiments.Study;
using DiffusionAlign.Tests.Cli;
using DiffusionAlign.Tests.Experiments.Study;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 dalign study</c> writes the study one process writes: the ranks share the pairs' and the base
/// model's sampling in whole batches, do the grid runs, replicates and test measurements whole (run i on rank
/// i mod 2), and rank 0 decides what is done and writes the study's own files.
/// </summary>
public sealed class DistributedStudyTests
{
    /// <summary>study.json's fields that measure time: when it was written and how long each part took.</summary>
    private static readonly string[] Timings =
        ["generated", "actual_seconds", "actual_total", "seconds", "train_seconds", "evaluation_seconds"];

    [MpirunFact]
    public void TwoRanksWriteTheStudyOneProcessWrites()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel32(dir.Path);
        string config = Path.Combine(dir.Path, "tiny.json");
        StudyJson.Save(config, Tiny);
        // The same threads in both: LibTorch may split a reduction differently across another number of threads.
        string[] Study(string output) =>
            ["study", "--config", config, "--base", model, "--threads", "1", "--json", "--out", output];
        string parallel = Path.Combine(dir.Path, "parallel"), single = Path.Combine(dir.Path, "single");
        var mpi = Mpirun.Dalign(2, Study(parallel));
        Assert.True(mpi.Exit == 0, $"mpirun exited {mpi.Exit}:\n{mpi.Err}");
        var one = Mpirun.Dalign(null, Study(single));
        Assert.True(one.Exit == 0, $"dalign exited {one.Exit}:\n{one.Err}");

        Assert.Equal(ComparableFiles.WithoutTimings(single, StudyLayout.StudyJson, Timings),
            ComparableFiles.WithoutTimings(parallel, StudyLayout.StudyJson, Timings));
        Assert.True(ComparableFiles.AssertSameBytes(single, parallel, "model.safetensors") > 1);
        // The pairs' images and the three plots.
        Assert.True(ComparableFiles.AssertSameBytes(single, parallel, "*.png") > 3);
        foreach (string plot in new[] { StudyPlots.RankingFile, StudyPlots.GridFile, StudyPlots.TestFile })
            Assert.True(File.Exists(Path.Combine(parallel, plot)), plot);
        // Rank 1 did every other grid run, replicate and test measurement, one line each.
        var rank1 = mpi.Err.Split('\n').Where(l => l.StartsWith("rank 1: ", StringComparison.Ordinal)).ToList();
        Assert.Contains(rank1, l => l.StartsWith("rank 1: grid 2/", StringComparison.Ordinal));
        Assert.Contains(rank1, l => l.StartsWith("rank 1: replicate ", StringComparison.Ordinal));
        Assert.Contains(rank1, l => l.StartsWith("rank 1: test ", StringComparison.Ordinal));
        // Rank 0 alone printed the summary (--json), the one process's but for the folder and the minutes taken.
        Assert.Equal(ComparableFiles.Comparable(one.Out, single, "minutes"),
            ComparableFiles.Comparable(mpi.Out, parallel, "minutes"));

        // Continue a study whose replicates stage was cut short: its first two runs (one per rank) are gone. Rank 0
        // finds pairs, grid and select saved, both ranks read them, each retrains its own missing run and reuses
        // the others, and the study ends as before.
        var layout = new StudyLayout(parallel);
        File.Delete(layout.StageFile(StudyStage.Replicates));
        File.Delete(layout.StageFile(StudyStage.Test));
        foreach (long seed in new[] { 1L, 2L })
            Directory.Delete(layout.ReplicateRun(StudyRegime.Mix, StudyFamily.Sft, seed), recursive: true);
        var again = Mpirun.Dalign(2, Study(parallel));
        Assert.True(again.Exit == 0, $"mpirun exited {again.Exit}:\n{again.Err}");
        Assert.DoesNotContain("stage grid", again.Err);
        Assert.Contains("rank 1: replicate mix/sft seed 2 to step", again.Err);
        var replicates = StudyJson.TryLoad<ReplicatesStageResult>(layout.StageFile(StudyStage.Replicates))!;
        Assert.Equal((2, replicates.Replicates.Count(r => !r.FromGrid) - 2), (replicates.Trained, replicates.Reused));
        string[] counts = [.. Timings, "trained", "reused", "measured"];
        Assert.Equal(ComparableFiles.WithoutTimings(single, StudyLayout.StudyJson, counts),
            ComparableFiles.WithoutTimings(parallel, StudyLayout.StudyJson, counts));
    }

    /// <summary>The tiny settings on one regime: every stage and table, in seconds.</summary>
    private static StudyConfig Tiny => StudyTestModel.Tiny with { Regimes = [StudyRegime.Mix] };
}
