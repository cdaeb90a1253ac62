namespace DiffusionAlign.Distributed;

/// <summary>
/// The group of one process, used whenever <c>dalign</c> was not started by <c>mpirun</c>: every collective is an
/// identity (a sum or copy over one process is the data itself), so training without MPI does exactly what it did
/// before data parallelism existed.
/// </summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    private SingleProcessCommunicator()
    {
    }

    public int Rank => 0;

    public int Size => 1;

    public void AllReduceSum(Span<float> values)
    {
    }

    public void AllReduceSum(Span<double> values)
    {
    }

    public void Broadcast(Span<byte> values, int root) => CheckRoot(root);

    public void AllGather(ReadOnlySpan<byte> mine, Span<byte> all) => mine.CopyTo(all);

    public void Gather(ReadOnlySpan<byte> mine, Span<byte> all, int root)
    {
        CheckRoot(root);
        mine.CopyTo(all);
    }

    public void Barrier()
    {
    }

    public void Abort(int exitCode) => Environment.Exit(exitCode);

    public void Dispose()
    {
    }

    private static void CheckRoot(int root) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);
}
