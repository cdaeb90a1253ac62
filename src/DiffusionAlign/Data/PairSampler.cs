namespace DiffusionAlign.Data;

/// <summary>
/// An endless stream of training batches: epoch after epoch of
/// <see cref="PreferenceDataset.Batches"/> (shuffled per epoch, last incomplete batch dropped).
/// Its <see cref="State"/> can be saved and handed back to continue the stream where it stopped.
/// </summary>
public sealed class PairSampler
{
    private readonly PreferenceDataset _dataset;
    private int[] _order;

    /// <summary>Starts at epoch 0, position 0.</summary>
    public PairSampler(PreferenceDataset dataset, int batchSize, int seed)
        : this(dataset, batchSize, new SamplerState(seed, 0, 0, dataset?.Count ?? 0))
    {
    }

    /// <summary>Resumes from a saved state.</summary>
    /// <exception cref="DiffusionAlignException">The state was saved for a dataset with a different number of pairs, or is out of range.</exception>
    public PairSampler(PreferenceDataset dataset, int batchSize, SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (batchSize > dataset.Count)
            throw new DiffusionAlignException($"batch size {batchSize} is larger than the dataset ({dataset.Count} pairs)");
        if (state.PairCount != dataset.Count)
            throw new DiffusionAlignException($"cannot resume the data stream: it was saved for {state.PairCount} pairs but the dataset has {dataset.Count}");
        if (state.Epoch < 0 || state.Position < 0 || state.Position > dataset.Count)
            throw new DiffusionAlignException($"cannot resume the data stream: invalid position (epoch {state.Epoch}, position {state.Position})");
        _dataset = dataset;
        BatchSize = batchSize;
        Seed = state.Seed;
        Epoch = state.Epoch;
        Position = state.Position;
        _order = dataset.EpochOrder(Seed, Epoch);
    }

    public int BatchSize { get; }

    public int Seed { get; }

    /// <summary>The epoch the next batch comes from.</summary>
    public int Epoch { get; private set; }

    /// <summary>How many pairs of the current epoch's order have been handed out.</summary>
    public int Position { get; private set; }

    /// <summary>The state to save; constructing a sampler from it continues with the same next batch.</summary>
    public SamplerState State => new(Seed, Epoch, Position, _dataset.Count);

    /// <summary>The next batch, moving to a freshly shuffled epoch when the current one has no full batch left.</summary>
    public IReadOnlyList<PreferencePair> Next()
    {
        if (Position + BatchSize > _order.Length)
        {
            Epoch++;
            Position = 0;
            _order = _dataset.EpochOrder(Seed, Epoch);
        }
        var batch = new PreferencePair[BatchSize];
        for (int i = 0; i < BatchSize; i++) batch[i] = _dataset[_order[Position + i]];
        Position += BatchSize;
        return batch;
    }
}
