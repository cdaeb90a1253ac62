using System.Runtime.InteropServices;
using System.Text.Json;
using DiffusionAlign.Distributed;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// How the processes of an <c>mpirun</c> job share an evaluation's samples (or held-out pairs): whole batches,
/// batch b on rank b mod N, and then every rank holds every item's values in item order. Whole batches rather than
/// single items, because a sampling batch's η noise comes from one generator seeded by its first sample and the
/// UNet's float arithmetic may depend on how many items it sees: each item is computed exactly as one process
/// computes it, so the statistics are the same bits.
/// </summary>
internal sealed class EvaluationShards(ICommunicator communicator, int batchSize)
{
    /// <summary>Whether this process computes the batch starting at item <paramref name="start"/>.</summary>
    public bool OwnsBatch(int start) => Owner(start) == communicator.Rank;

    /// <summary>The rank that computes item <paramref name="index"/>.</summary>
    public int Owner(int index) => index / batchSize % communicator.Size;

    /// <summary>
    /// Throws unless every process evaluates the same items under the same settings: a rank with other flags
    /// would fill its share of the table with another evaluation's scores.
    /// </summary>
    /// <param name="items">The number of samples or pairs, named by <paramref name="what"/>.</param>
    public void CheckSame(EvaluationConfig config, IEnumerable<string> models, int items, string what)
    {
        if (communicator.Size == 1) return;
        communicator.CheckSame(items, $"the number of {what}");
        var settings = JsonSerializer.SerializeToUtf8Bytes(new { config, models = models.ToArray() });
        communicator.CheckSame(BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(settings)),
            "the evaluation's settings");
    }

    /// <summary>
    /// Every sample's scores, in sample order, from <paramref name="mine"/> (this rank's samples scored, the others
    /// left at zero) on every rank.
    /// </summary>
    public SampleScores Gather(SampleScores mine)
    {
        if (communicator.Size == 1) return mine;
        var all = Gather(mine.Reward, mine.Judge, mine.RewardJitter, mine.JudgeJitter,
            [.. mine.ColourRight.Select(c => c ? 1.0 : 0.0)]);
        return new SampleScores(all[0], all[1], all[2], all[3], [.. all[4].Select(v => v == 1.0)]);
    }

    /// <summary>
    /// Each of <paramref name="columns"/> (one value per item, this rank's items filled) with every item's value, on
    /// every rank. Each value is copied from the rank that computed it, not summed, so it arrives with the same bits.
    /// </summary>
    public double[][] Gather(params double[][] columns)
    {
        if (communicator.Size == 1) return columns;
        int n = columns.Length == 0 ? 0 : columns[0].Length;
        var packed = columns.SelectMany(c => c).ToArray();
        var all = new double[communicator.Size * packed.Length];
        communicator.AllGather(MemoryMarshal.AsBytes(packed.AsSpan()), MemoryMarshal.AsBytes(all.AsSpan()));
        var gathered = columns.Select(_ => new double[n]).ToArray();
        for (int i = 0; i < n; i++)
        {
            int from = Owner(i) * packed.Length;
            for (int c = 0; c < columns.Length; c++) gathered[c][i] = all[from + c * n + i];
        }
        return gathered;
    }
}
