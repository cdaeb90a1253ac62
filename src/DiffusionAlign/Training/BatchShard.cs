using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// The part of a global micro-batch one data-parallel process trains: pairs <see cref="Offset"/> to
/// <see cref="Offset"/> + <see cref="Count"/> − 1 of <see cref="GlobalCount"/>. A process draws the random numbers
/// of the whole micro-batch (timesteps, noise, latents, dropout, flips, as one process training all of it would)
/// and keeps its rows, so a pair's draws depend on its place in the global batch, never on which rank trains it.
/// Drawing the whole batch costs each process N× the draws but not the forward passes, which dominate.
/// </summary>
public readonly record struct BatchShard(int Offset, int Count, int GlobalCount)
{
    /// <summary>A whole micro-batch of <paramref name="count"/> pairs (one process).</summary>
    public static BatchShard Whole(int count) => new(0, count, count);

    /// <summary>Rank <paramref name="rank"/>'s <paramref name="perRank"/> pairs of a batch of ranks × that.</summary>
    public static BatchShard ForRank(int rank, int ranks, int perRank) => new(rank * perRank, perRank, ranks * perRank);

    public bool IsWhole => Count == GlobalCount;

    /// <summary>This shard's elements of one value per pair of the global batch.</summary>
    public IReadOnlyList<T> Pairs<T>(IReadOnlyList<T> global) =>
        IsWhole ? global : global.Skip(Offset).Take(Count).ToList();

    /// <summary>This shard's rows of a <c>[GlobalCount, ...]</c> draw.</summary>
    public Tensor Rows(Tensor global) => IsWhole ? global : global.narrow(0, Offset, Count);

    /// <summary>
    /// This shard's winners then its losers, from a <c>[2 GlobalCount, ...]</c> draw laid out as the global batch is
    /// (all winners, then all losers).
    /// </summary>
    public Tensor WinnersThenLosers(Tensor global) =>
        IsWhole
            ? global
            : cat(new[] { global.narrow(0, Offset, Count), global.narrow(0, GlobalCount + Offset, Count) }, 0);
}
