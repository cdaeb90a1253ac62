using System.Collections;

namespace DiffusionAlign.Data;

/// <summary>
/// An in-memory list of preference pairs with prompt-level splits (the split is a pure function of
/// the seed and the prompt set). The training order is <see cref="PairBatchSchedule"/>'s.
/// </summary>
public sealed class PreferenceDataset : IReadOnlyList<PreferencePair>
{
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
    /// Splits by prompt, so no held-out prompt is ever trained on: a seeded fraction of the distinct
    /// prompts (rounded, at least one when the fraction is positive and there are two or more prompts,
    /// and never all of them) goes to the held-out set with all of its pairs.
    /// </summary>
    public (PreferenceDataset Train, PreferenceDataset HeldOut) Split(double heldOutFraction, int seed)
    {
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(
                nameof(heldOutFraction), heldOutFraction, "held-out fraction must be in [0, 1)");
        // Sorted first so the split depends on the prompt set, not on the order pairs were loaded in.
        var prompts = Prompts.Order(StringComparer.Ordinal).ToArray();
        int heldOutCount = (int)Math.Round(heldOutFraction * prompts.Length, MidpointRounding.AwayFromZero);
        if (heldOutFraction > 0 && heldOutCount == 0 && prompts.Length > 1) heldOutCount = 1;
        if (heldOutCount >= prompts.Length) heldOutCount = prompts.Length - 1;
        var order = SeededShuffle.Permutation(prompts.Length, StepSeeds.Int32(seed, 0, StepSeeds.Stream.Split));
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
