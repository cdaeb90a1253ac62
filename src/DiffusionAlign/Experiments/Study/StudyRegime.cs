using DiffusionAlign.Data.Generation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>Where a regime's training pairs come from.</summary>
public enum StudyRegime
{
    /// <summary>Two samples of the base model per prompt: the policy's own distribution (as the demo).</summary>
    OnPolicy,

    /// <summary>
    /// Two renders of the world's renderer, each flawed or clean: another, stronger source of images, standing in
    /// for the other generators of Pick-a-Pic's pairs.
    /// </summary>
    OffPolicy,

    /// <summary>Half of each.</summary>
    Mix,
}

/// <summary>Names and pair composition of the regimes.</summary>
public static class StudyRegimes
{
    public static IReadOnlyList<StudyRegime> All { get; } =
        [StudyRegime.OnPolicy, StudyRegime.OffPolicy, StudyRegime.Mix];

    /// <summary>The regime as folders, JSON and tables spell it.</summary>
    public static string Key(this StudyRegime regime) => regime switch
    {
        StudyRegime.OnPolicy => "on-policy",
        StudyRegime.OffPolicy => "off-policy",
        StudyRegime.Mix => "mix",
        _ => throw new ArgumentOutOfRangeException(nameof(regime), regime, null),
    };

    public static string Describe(this StudyRegime regime) => regime switch
    {
        StudyRegime.OnPolicy => "pairs sampled from the base model (two samples per prompt)",
        StudyRegime.OffPolicy => "pairs from the renderer with its flaws (a different, stronger source)",
        StudyRegime.Mix => "half the pairs from the base model, half from the renderer",
        _ => throw new ArgumentOutOfRangeException(nameof(regime), regime, null),
    };

    /// <summary>
    /// How many pairs of each source make a set of <paramref name="count"/> pairs in this regime: the first
    /// pairs of each source's set, so the mix is a subset of the two pure sets and costs nothing extra.
    /// </summary>
    public static IReadOnlyList<(PairSource Source, int Count)> Composition(this StudyRegime regime, int count) =>
        regime switch
        {
            StudyRegime.OnPolicy => [(PairSource.Model, count)],
            StudyRegime.OffPolicy => [(PairSource.Renderer, count)],
            StudyRegime.Mix => [(PairSource.Model, (count + 1) / 2), (PairSource.Renderer, count / 2)],
            _ => throw new ArgumentOutOfRangeException(nameof(regime), regime, null),
        };

    /// <summary>The pair source as folders and JSON spell it.</summary>
    public static string Key(this PairSource source) => source switch
    {
        PairSource.Model => "model",
        PairSource.Renderer => "renderer",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <exception cref="DiffusionAlignException">No regime has that key.</exception>
    public static StudyRegime ParseRegime(string key)
    {
        foreach (var regime in All)
            if (regime.Key() == key) return regime;
        throw new DiffusionAlignException($"unknown regime '{key}'");
    }
}
