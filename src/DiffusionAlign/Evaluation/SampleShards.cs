using System.Runtime.InteropServices;
using System.Text.Json;
using DiffusionAlign.Distributed;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// How the processes of an <c>mpirun</c> job share an evaluation's samples: whole sampling batches of
/// <see cref="EvaluationConfig.BatchSize"/>, batch b on rank b mod N, and then every rank holds every sample's
/// scores in sample order. Whole batches rather than single samples, because a batch's η noise comes from one
/// generator seeded by its first sample and the UNet's float arithmetic may depend on how many samples it sees:
/// each sample is drawn and scored exactly as one process does it, so the statistics are the same bits.
/// </summary>
internal sealed class SampleShards(ICommunicator communicator, int batchSize)
{
    /// <summary>Whether this process draws the batch starting at sample <paramref name="start"/>.</summary>
    public bool OwnsBatch(int start) => Owner(start) == communicator.Rank;

    /// <summary>The rank that draws and scores sample <paramref name="index"/>.</summary>
    public int Owner(int index) => index / batchSize % communicator.Size;

    /// <summary>
    /// Throws unless every process evaluates the same samples under the same settings: a rank with other flags
    /// would fill its share of the table with another evaluation's scores.
    /// </summary>
    public void CheckSame(EvaluationConfig config, IEnumerable<string> models, int samples)
    {
        if (communicator.Size == 1) return;
        communicator.CheckSame(samples, "the number of samples");
        var settings = JsonSerializer.SerializeToUtf8Bytes(new { config, models = models.ToArray() });
        communicator.CheckSame(BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(settings)),
            "the evaluation's settings");
    }

    /// <summary>
    /// Every sample's scores, in sample order, from <paramref name="mine"/> (this rank's samples scored, the others
    /// left at zero) on every rank. Each value is copied from the rank that computed it, not summed, so it arrives
    /// with the same bits.
    /// </summary>
    public SampleScores Gather(SampleScores mine)
    {
        if (communicator.Size == 1) return mine;
        int n = mine.Reward.Length;
        double[][] columns =
        [
            mine.Reward, mine.Judge, mine.RewardJitter, mine.JudgeJitter,
            [.. mine.ColourRight.Select(c => c ? 1.0 : 0.0)],
        ];
        var packed = columns.SelectMany(c => c).ToArray();
        var all = new double[communicator.Size * packed.Length];
        communicator.AllGather(MemoryMarshal.AsBytes(packed.AsSpan()), MemoryMarshal.AsBytes(all.AsSpan()));
        var gathered = columns.Select(_ => new double[n]).ToArray();
        for (int i = 0; i < n; i++)
        {
            int from = Owner(i) * packed.Length;
            for (int c = 0; c < columns.Length; c++) gathered[c][i] = all[from + c * n + i];
        }
        return new SampleScores(gathered[0], gathered[1], gathered[2], gathered[3],
            [.. gathered[4].Select(v => v == 1.0)]);
    }
}
