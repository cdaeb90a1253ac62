namespace DiffusionAlign.Data;

/// <summary>
/// Where a <see cref="PairSampler"/> stands in its stream: the shuffle seed, the current epoch and
/// the number of pairs of that epoch already handed out. Saved in checkpoints so a resumed run sees
/// exactly the batches an uninterrupted run would. <paramref name="PairCount"/> guards against
/// resuming on a different dataset.
/// </summary>
public sealed record SamplerState(int Seed, int Epoch, int Position, int PairCount);
