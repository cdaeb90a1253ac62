namespace DiffusionAlign.Distributed;

/// <summary>
/// Independent runs of an experiment (training runs, or whole evaluations of one model) shared between the processes
/// of a group whole: run i on rank i mod N. Each run is computed by one process exactly as one process alone computes
/// it (no gradient is averaged, no batch split), so its weights and figures are the same bits whichever rank made
/// them. A run writes its own files into a folder every rank sees (one machine, or a shared file system);
/// <see cref="Finish"/> waits until every rank has written them, before any rank reads another's.
/// </summary>
public sealed class RoundRobinRuns(ICommunicator communicator)
{
    /// <summary>Whether this process computes run <paramref name="run"/> (counted from 0).</summary>
    public bool Owns(int run) => Owner(run) == communicator.Rank;

    /// <summary>The rank that computes run <paramref name="run"/>.</summary>
    public int Owner(int run)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(run);
        return run % communicator.Size;
    }

    /// <summary>Returns once every process has finished (and written) its runs.</summary>
    public void Finish() => communicator.Barrier();

    /// <summary>The sum over all processes of <paramref name="mine"/> (runs trained, runs reused...).</summary>
    public int Total(int mine)
    {
        if (communicator.Size == 1) return mine;
        var sum = new[] { (double)mine };
        communicator.AllReduceSum(sum);
        return (int)sum[0];
    }
}
