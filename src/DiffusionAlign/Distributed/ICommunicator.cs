namespace DiffusionAlign.Distributed;

/// <summary>
/// The collective operations data-parallel training needs from a group of processes (an MPI world): who this
/// process is, sums across all of them, and copies from one to all. Every process of the group must call each
/// operation in the same order with the same lengths, as MPI requires. <see cref="SingleProcessCommunicator"/> is
/// the group of one, where every operation leaves the data as it is; <see cref="MpiCommunicator"/> is Open MPI's
/// world under <c>mpirun</c>. <see cref="Communicators.FromEnvironment"/> picks one.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's number in the group, 0 to <see cref="Size"/> − 1 (rank 0 writes run files).</summary>
    int Rank { get; }

    /// <summary>Processes in the group.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every process by their element-wise sum over all.</summary>
    void AllReduceSum(Span<float> values);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    void AllReduceSum(Span<double> values);

    /// <summary>Copies <paramref name="values"/> of process <paramref name="root"/> into every process's.</summary>
    void Broadcast(Span<byte> values, int root);

    /// <summary>
    /// Every process's <paramref name="mine"/> (all of one length), concatenated in rank order into each process's
    /// <paramref name="all"/> (<see cref="Size"/> × that length).
    /// </summary>
    void AllGather(ReadOnlySpan<byte> mine, Span<byte> all);

    /// <summary>
    /// Like <see cref="AllGather"/> but only <paramref name="root"/> receives; other processes' <paramref name="all"/>
    /// is not written (it may be empty).
    /// </summary>
    void Gather(ReadOnlySpan<byte> mine, Span<byte> all, int root);

    /// <summary>Returns once every process has called it.</summary>
    void Barrier();

    /// <summary>
    /// Ends every process of the group with <paramref name="exitCode"/>: what a process that failed calls so the
    /// others are not left waiting in a collective it will never join. Does not return.
    /// </summary>
    void Abort(int exitCode);
}
