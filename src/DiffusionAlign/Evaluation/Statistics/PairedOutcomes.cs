namespace DiffusionAlign.Evaluation;

/// <summary>
/// Wins, ties and losses of a list of paired differences (A − B), with the per-pair score
/// 1 / ½ / 0 that every rate here averages. Shared by win rates and ranking accuracies.
/// </summary>
internal sealed record PairedOutcomes(int Wins, int Ties, int Losses, double[] Scores)
{
    public int N => Scores.Length;

    /// <summary>Wins plus half the ties.</summary>
    public double Score => Wins + Ties / 2.0;

    public double Rate => Score / N;

    /// <summary>
    /// Tallies differences: &gt; tolerance is a win, &lt; −tolerance a loss, otherwise a tie.
    /// Throws <see cref="DiffusionAlignException"/> when there is nothing to tally and
    /// <see cref="ArgumentException"/> on NaN/∞ (a broken score would otherwise count silently as a loss).
    /// </summary>
    public static PairedOutcomes Tally(IEnumerable<double> differences, double tieTolerance, string what)
    {
        if (!(tieTolerance >= 0) || double.IsInfinity(tieTolerance))
            throw new ArgumentOutOfRangeException(
                nameof(tieTolerance), tieTolerance, "the tie tolerance must be non-negative and finite");
        var scores = new List<double>();
        int wins = 0, ties = 0, losses = 0;
        foreach (double difference in differences)
        {
            if (!double.IsFinite(difference))
                throw new ArgumentException($"{what}: comparison {scores.Count} is not a finite number ({difference})");
            if (difference > tieTolerance) { wins++; scores.Add(1); }
            else if (difference < -tieTolerance) { losses++; scores.Add(0); }
            else { ties++; scores.Add(0.5); }
        }
        if (scores.Count == 0) throw new DiffusionAlignException($"{what} needs at least one comparison; got none");
        return new PairedOutcomes(wins, ties, losses, [.. scores]);
    }

    /// <summary>Element-wise <c>a[i] − b[i]</c> after checking the lists pair up.</summary>
    public static IEnumerable<double> Differences(IReadOnlyList<double> a, IReadOnlyList<double> b, string nameA,
        string nameB)
    {
        ArgumentNullException.ThrowIfNull(a, nameA);
        ArgumentNullException.ThrowIfNull(b, nameB);
        if (a.Count != b.Count)
            throw new ArgumentException(
                $"{nameA} has {a.Count} values but {nameB} has {b.Count}; they must pair up one to one");
        for (int i = 0; i < a.Count; i++)
        {
            if (!double.IsFinite(a[i]) || !double.IsFinite(b[i]))
                throw new ArgumentException($"comparison {i} is not finite ({nameA} {a[i]}, {nameB} {b[i]})");
            yield return a[i] - b[i];
        }
    }
}
