namespace DiffusionAlign.Distributed;

/// <summary>
/// Items (samples, pairs) shared between the processes of a group in whole batches dealt round robin: the batch of
/// <see cref="BatchSize"/> items that starts at item s goes to rank (s / <see cref="BatchSize"/>) mod N. Each process
/// computes its batches exactly as one process alone computes them, and <see cref="AllGather{T}"/> then hands every
/// process every item's values, each copied from the process that computed it, so they arrive with the same bits.
/// Whole batches, not single items, because a batch may share draws between its items (DDIM's η noise comes from
/// one generator per batch) and a network may round differently on a batch of another size.
/// </summary>
public sealed class RoundRobinBatches
{
    // One collective receives at most this much (unless one item from each process is more): MPI counts are C ints,
    // and a smaller piece bounds the buffers a gather allocates beside the items themselves.
    private const long MaxBytesPerCall = 1L << 28;

    private readonly ICommunicator _communicator;

    public RoundRobinBatches(ICommunicator communicator, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _communicator = communicator;
        BatchSize = batchSize;
    }

    public int BatchSize { get; }

    /// <summary>Whether this process computes the batch starting at item <paramref name="start"/>.</summary>
    public bool OwnsBatch(int start) => Owner(start) == _communicator.Rank;

    /// <summary>The rank that computes item <paramref name="index"/>.</summary>
    public int Owner(int index) => index / BatchSize % _communicator.Size;

    /// <summary>
    /// Gives every process the values of all <paramref name="items"/> items, <paramref name="perItem"/> of them each:
    /// <paramref name="write"/> is asked for the values of each item this process computed, and
    /// <paramref name="read"/> is handed those of each item another process computed. Alone, nothing is called.
    /// Every process must call it with the same counts.
    /// </summary>
    public void AllGather<T>(int items, int perItem, Action<int, Span<T>> write, Action<int, Span<T>> read)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(perItem, 1);
        int size = _communicator.Size;
        if (size == 1) return;
        // Each rank's items in order; every rank sends as many as the largest share, padded.
        var owned = Enumerable.Range(0, size).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < items; i++) owned[Owner(i)].Add(i);
        int share = owned.Max(o => o.Count);
        long itemBytes = (long)perItem * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        int perCall = (int)Math.Clamp(MaxBytesPerCall / (itemBytes * size), 1, Math.Max(1, share));
        var mine = new T[(long)perCall * perItem];
        var all = new T[(long)size * perCall * perItem];
        var mineOwned = owned[_communicator.Rank];
        for (int first = 0; first < share; first += perCall)
        {
            int count = Math.Min(perCall, share - first);
            for (int k = 0; k < count && first + k < mineOwned.Count; k++)
                write(mineOwned[first + k], mine.AsSpan(k * perItem, perItem));
            _communicator.AllGather(
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(mine.AsSpan(0, count * perItem)),
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(all.AsSpan(0, size * count * perItem)));
            for (int rank = 0; rank < size; rank++)
            {
                if (rank == _communicator.Rank) continue;
                for (int k = 0; k < count && first + k < owned[rank].Count; k++)
                    read(owned[rank][first + k], all.AsSpan((rank * count + k) * perItem, perItem));
            }
        }
    }
}
