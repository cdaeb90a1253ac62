using System.Text.Json;
using DiffusionAlign.Distributed;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// How the processes of an <c>mpirun</c> job share an evaluation's samples (or held-out pairs): whole batches,
/// batch b on rank b mod N (<see cref="RoundRobinBatches"/>), and then every rank holds every item's values in item
/// order. Each item is computed exactly as one process computes it, so the statistics are the same bits.
/// </summary>
internal sealed class EvaluationShards(ICommunicator communicator, int batchSize)
{
    private readonly RoundRobinBatches _batches = new(communicator, batchSize);

    /// <summary>Whether this process computes the batch starting at item <paramref name="start"/>.</summary>
    public bool OwnsBatch(int start) => _batches.OwnsBatch(start);

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
        if (communicator.Size == 1 || columns.Length == 0) return columns;
        var gathered = columns.Select(c => (double[])c.Clone()).ToArray();
        _batches.AllGather<double>(columns[0].Length, columns.Length,
            (i, values) =>
            {
                for (int c = 0; c < columns.Length; c++) values[c] = columns[c][i];
            },
            (i, values) =>
            {
                for (int c = 0; c < columns.Length; c++) gathered[c][i] = values[c];
            });
        return gathered;
    }
}
