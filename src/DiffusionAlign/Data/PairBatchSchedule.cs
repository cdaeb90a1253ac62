namespace DiffusionAlign.Data;

/// <summary>
/// The data order of a training run: which pairs micro-batch number m holds. Epochs are seeded
/// permutations of the dataset (<see cref="SeededShuffle"/>), cut into full batches; the pairs left
/// over at an epoch's end wait for the next epoch's shuffle. A pure function of (seed, m), so a
/// resumed run needs only its step count to see exactly the batches an uninterrupted run would.
/// </summary>
public sealed class PairBatchSchedule
{
    private readonly int _count;
    private readonly int _batch;
    private readonly long _seed;
    private int _cachedEpoch = -1;
    private int[] _cachedOrder = [];

    /// <exception cref="DiffusionAlignException">The dataset holds fewer pairs than one batch.</exception>
    public PairBatchSchedule(int count, int batchSize, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (count < batchSize)
            throw new DiffusionAlignException($"{count} pairs are fewer than one batch of {batchSize}");
        _count = count;
        _batch = batchSize;
        _seed = seed;
    }

    public int BatchesPerEpoch => _count / _batch;

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the dataset's indices.</summary>
    public IReadOnlyList<int> EpochOrder(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return Order(epoch);
    }

    /// <summary>Dataset indices of micro-batch <paramref name="micro"/> (0-based over the whole run).</summary>
    public int[] Batch(long micro)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(micro);
        int epoch = (int)(micro / BatchesPerEpoch);
        int within = (int)(micro % BatchesPerEpoch);
        return Order(epoch).AsSpan(within * _batch, _batch).ToArray();
    }

    private int[] Order(int epoch)
    {
        if (epoch != _cachedEpoch)
        {
            _cachedOrder = SeededShuffle.Permutation(_count, StepSeeds.Int32(_seed, epoch, StepSeeds.Stream.Data));
            _cachedEpoch = epoch;
        }
        return _cachedOrder;
    }
}
