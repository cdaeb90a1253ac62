using System.Collections;

namespace DiffusionAlign.Data;

/// <summary>
/// An in-memory list of preference pairs with deterministic shuffled batching and prompt-level
/// splits. Everything random here is a pure function of (seed, epoch), so runs are reproducible.
/// </summary>
public sealed class PreferenceDataset : IReadOnlyList<PreferencePair>
{
    // Shuffle streams: epochs use 0, 1, 2, ...; the prompt split uses a stream no epoch reaches.
    private const int SplitStream = -1;

    private readonly PreferencePair[] _pairs;

    public PreferenceDataset(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        _pairs = [.. pairs];
        foreach (var pair in _pairs) ArgumentNullException.ThrowIfNull(pair, nameof(pairs));
    }

    public int Count => _pairs.Length;

    public PreferencePair this[int index] => _pairs[index];

    /// <summary>The distinct prompts, in order of first appearance.</summary>
    public IReadOnlyList<string> Prompts => _pairs.Select(p => p.Prompt).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The order in which pair indices are visited in <paramref name="epoch"/>: a permutation fixed by
    /// (seed, epoch). Same seed and epoch give the same order; each epoch reshuffles.
    /// </summary>
    public int[] EpochOrder(int seed, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return EpochShuffle.Permutation(Count, seed, epoch);
    }

    /// <summary>
    /// The batches of one epoch in shuffled order. Every pair appears exactly once per epoch; with
    /// <paramref name="dropLast"/> the final incomplete batch is left out (so every batch has the same size).
    /// </summary>
    public IEnumerable<IReadOnlyList<PreferencePair>> Batches(int batchSize, int seed, int epoch = 0, bool dropLast = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var order = EpochOrder(seed, epoch);
        return Enumerate();

        IEnumerable<IReadOnlyList<PreferencePair>> Enumerate()
        {
            for (int start = 0; start < order.Length; start += batchSize)
            {
                int size = Math.Min(batchSize, order.Length - start);
                if (size < batchSize && dropLast) yield break;
                var batch = new PreferencePair[size];
                for (int i = 0; i < size; i++) batch[i] = _pairs[order[start + i]];
                yield return batch;
            }
        }
    }

    /// <summary>
    /// Splits by prompt, so no held-out prompt is ever trained on: a seeded fraction of the distinct
    /// prompts (rounded, at least one when the fraction is positive and there are two or more prompts,
    /// and never all of them) goes to the held-out set with all of its pairs.
    /// </summary>
    public (PreferenceDataset Train, PreferenceDataset HeldOut) Split(double heldOutFraction, int seed)
    {
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "held-out fraction must be in [0, 1)");
        // Sorted first so the split depends on the prompt set, not on the order pairs were loaded in.
        var prompts = Prompts.Order(StringComparer.Ordinal).ToArray();
        int heldOutCount = (int)Math.Round(heldOutFraction * prompts.Length, MidpointRounding.AwayFromZero);
        if (heldOutFraction > 0 && heldOutCount == 0 && prompts.Length > 1) heldOutCount = 1;
        if (heldOutCount >= prompts.Length) heldOutCount = prompts.Length - 1;
        var order = EpochShuffle.Permutation(prompts.Length, seed, SplitStream);
        var heldOut = new HashSet<string>(order.Take(heldOutCount).Select(i => prompts[i]), StringComparer.Ordinal);
        return (WithoutPrompts(heldOut), WithPrompts(heldOut));
    }

    /// <summary>The pairs whose prompt is in <paramref name="prompts"/>, in their original order.</summary>
    public PreferenceDataset WithPrompts(IEnumerable<string> prompts)
    {
        var set = prompts as IReadOnlySet<string> ?? new HashSet<string>(prompts, StringComparer.Ordinal);
        return new PreferenceDataset(_pairs.Where(p => set.Contains(p.Prompt)));
    }

    /// <summary>The pairs whose prompt is not in <paramref name="prompts"/>, in their original order.</summary>
    public PreferenceDataset WithoutPrompts(IEnumerable<string> prompts)
    {
        var set = prompts as IReadOnlySet<string> ?? new HashSet<string>(prompts, StringComparer.Ordinal);
        return new PreferenceDataset(_pairs.Where(p => !set.Contains(p.Prompt)));
    }

    public IEnumerator<PreferencePair> GetEnumerator() => ((IEnumerable<PreferencePair>)_pairs).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
