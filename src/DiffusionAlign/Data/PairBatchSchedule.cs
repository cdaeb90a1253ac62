namespace DiffusionAlign.Training;

/// <summary>
/// Which pairs micro-batch number m holds: epochs are seeded permutations of the dataset, cut
/// into full batches. A pure function of (seed, m), so a resumed run needs only its step count
/// to see exactly the batches an uninterrupted run would.
/// </summary>
public sealed class PairBatchSchedule
{
    private readonly int _count;
    private readonly int _batch;
    private readonly long _seed;
    private int _cachedEpoch = -1;
    private int[] _cachedOrder = Array.Empty<int>();

    public PairBatchSchedule(int count, int batchSize, long seed)
    {
        if (count < batchSize)
            throw new DiffusionAlignException($"{count} pairs are fewer than one batch of {batchSize}; lower --batch or add pairs");
        _count = count;
        _batch = batchSize;
        _seed = seed;
    }

    public int BatchesPerEpoch => _count / _batch;

    /// <summary>Dataset indices of micro-batch <paramref name="micro"/> (0-based over the whole run).</summary>
    public int[] Batch(long micro)
    {
        int epoch = (int)(micro / BatchesPerEpoch);
        int within = (int)(micro % BatchesPerEpoch);
        if (epoch != _cachedEpoch)
        {
            _cachedOrder = Enumerable.Range(0, _count).ToArray();
            StepSeeds.Managed(_seed, epoch, StepSeeds.Stream.Data).Shuffle(_cachedOrder);
            _cachedEpoch = epoch;
        }
        return _cachedOrder.AsSpan(within * _batch, _batch).ToArray();
    }
}
