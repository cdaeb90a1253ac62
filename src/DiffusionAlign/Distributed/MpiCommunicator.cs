using System.Runtime.InteropServices;
using static DiffusionAlign.Distributed.OpenMpiNative;

namespace DiffusionAlign.Distributed;

/// <summary>
/// MPI_COMM_WORLD of Open MPI, for a process started by <c>mpirun</c>: initialises MPI on construction and finalises
/// it on <see cref="Dispose"/>. Only one may exist in a process (MPI cannot be initialised twice). Buffers longer
/// than MPI's int count are sent in chunks.
/// </summary>
public sealed class MpiCommunicator : ICommunicator
{
    // MPI counts are C ints; a 3.4 GB gradient is 860M floats, under it, but a larger model is sent in pieces.
    private const int MaxCount = int.MaxValue / 8;

    private readonly Handles _handles;
    private bool _finalized;

    /// <exception cref="DiffusionAlignException">Open MPI's library is missing, or MPI already initialised.</exception>
    public MpiCommunicator()
    {
        try
        {
            _handles = new Handles();
            Check(MPI_Initialized(out int initialized), "MPI_Initialized");
            if (initialized != 0)
                throw new DiffusionAlignException("MPI is already initialised in this process");
            Check(MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, ThreadSerialized, out int provided), "MPI_Init_thread");
            if (provided < ThreadSerialized)
                throw new DiffusionAlignException(
                    $"this Open MPI gives thread level {provided}; data-parallel training needs MPI_THREAD_SERIALIZED");
            Check(MPI_Comm_rank(_handles.CommWorld, out int rank), "MPI_Comm_rank");
            Check(MPI_Comm_size(_handles.CommWorld, out int size), "MPI_Comm_size");
            Rank = rank;
            Size = size;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new DiffusionAlignException(
                $"started by mpirun, but Open MPI's {Library} could not be loaded ({e.Message.Split('\n')[0]}); "
                + "install Open MPI (apt-get install openmpi-bin libopenmpi-dev)");
        }
    }

    public int Rank { get; }

    public int Size { get; }

    public void AllReduceSum(Span<float> values)
    {
        for (int start = 0; start < values.Length; start += MaxCount)
        {
            var chunk = values.Slice(start, Math.Min(MaxCount, values.Length - start));
            Check(MPI_Allreduce(InPlace, ref MemoryMarshal.GetReference(chunk), chunk.Length, _handles.Float,
                _handles.Sum, _handles.CommWorld), "MPI_Allreduce");
        }
    }

    public void AllReduceSum(Span<double> values)
    {
        for (int start = 0; start < values.Length; start += MaxCount)
        {
            var chunk = values.Slice(start, Math.Min(MaxCount, values.Length - start));
            Check(MPI_Allreduce(InPlace, ref MemoryMarshal.GetReference(chunk), chunk.Length, _handles.Double,
                _handles.Sum, _handles.CommWorld), "MPI_Allreduce");
        }
    }

    public void Broadcast(Span<byte> values, int root)
    {
        CheckRoot(root);
        for (int start = 0; start < values.Length; start += MaxCount)
        {
            var chunk = values.Slice(start, Math.Min(MaxCount, values.Length - start));
            Check(MPI_Bcast(ref MemoryMarshal.GetReference(chunk), chunk.Length, _handles.Byte, root,
                _handles.CommWorld), "MPI_Bcast");
        }
    }

    public void AllGather(ReadOnlySpan<byte> mine, Span<byte> all)
    {
        CheckGatherLengths(mine, all);
        Check(MPI_Allgather(ref MemoryMarshal.GetReference(mine), mine.Length, _handles.Byte,
            ref MemoryMarshal.GetReference(all), mine.Length, _handles.Byte, _handles.CommWorld), "MPI_Allgather");
    }

    public void Gather(ReadOnlySpan<byte> mine, Span<byte> all, int root)
    {
        CheckRoot(root);
        if (Rank == root) CheckGatherLengths(mine, all);
        // The receive buffer is read only at the root; elsewhere any address will do.
        Span<byte> unused = stackalloc byte[1];
        var receive = Rank == root ? all : unused;
        Check(MPI_Gather(ref MemoryMarshal.GetReference(mine), mine.Length, _handles.Byte,
            ref MemoryMarshal.GetReference(receive), mine.Length, _handles.Byte, root, _handles.CommWorld),
            "MPI_Gather");
    }

    public void Barrier() => Check(MPI_Barrier(_handles.CommWorld), "MPI_Barrier");

    public void Abort(int exitCode)
    {
        MPI_Abort(_handles.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this only satisfies the contract if it did
    }

    /// <summary>Finalises MPI (a collective: every process must reach it).</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        MPI_Finalized(out int done);
        if (done == 0) MPI_Finalize();
    }

    private void CheckRoot(int root)
    {
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"no rank {root} in a world of {Size}");
    }

    private void CheckGatherLengths(ReadOnlySpan<byte> mine, Span<byte> all)
    {
        if ((long)mine.Length * Size != all.Length)
            throw new ArgumentException(
                $"gathering {mine.Length} bytes from {Size} processes needs {(long)mine.Length * Size}, "
                + $"got {all.Length}",
                nameof(all));
    }

    // Open MPI's default error handler aborts the job on an error, so a code other than MPI_SUCCESS is unexpected.
    private static void Check(int code, string call)
    {
        if (code != Success) throw new InvalidOperationException($"{call} failed with MPI error {code}");
    }
}
