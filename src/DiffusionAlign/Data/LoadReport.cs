namespace DiffusionAlign.Data;

/// <summary>
/// What happened while loading preference data: how many rows were read, how many became pairs,
/// how many ties were dropped (by design) and how many bad rows were skipped (by necessity), with
/// counts per skip reason and the first few examples so a user can find the bad rows.
/// </summary>
public sealed record LoadReport(
    string Source,
    int RowsRead,
    int PairsKept,
    int TiesDropped,
    int BadRowsSkipped,
    IReadOnlyDictionary<string, int> SkipReasons,
    IReadOnlyList<string> Examples)
{
    /// <summary>
    /// One line for a CLI run's log, e.g. "data/pairs.jsonl: 120 rows read, 117 pairs kept,
    /// 0 ties dropped, 3 bad rows skipped (2 missing file, 1 malformed line)".
    /// </summary>
    public override string ToString()
    {
        string line = $"{Source}: {RowsRead} rows read, {PairsKept} pairs kept, "
            + $"{TiesDropped} ties dropped, {BadRowsSkipped} bad rows skipped";
        return SkipReasons.Count == 0 ? line : $"{line} ({ReasonSummary})";
    }

    /// <summary>
    /// The skip reasons with their counts, most frequent first, e.g. "2 missing file, 1 malformed line";
    /// empty if none.
    /// </summary>
    public string ReasonSummary =>
        string.Join(", ", SkipReasons
            .OrderByDescending(r => r.Value)
            .ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Value} {r.Key}"));
}

/// <summary>Accumulates a <see cref="LoadReport"/> while a reader walks its rows.</summary>
internal sealed class LoadTally(string source)
{
    public const int MaxExamples = 5;

    private readonly Dictionary<string, int> _reasons = new(StringComparer.Ordinal);
    private readonly List<string> _examples = [];

    public int RowsRead { get; private set; }

    public int PairsKept { get; private set; }

    public int TiesDropped { get; private set; }

    public int BadRowsSkipped { get; private set; }

    public void Row() => RowsRead++;

    public void Kept() => PairsKept++;

    public void Tie() => TiesDropped++;

    /// <summary>
    /// Counts a skipped row under <paramref name="reason"/>; <paramref name="where"/> and
    /// <paramref name="detail"/> feed the examples.
    /// </summary>
    public void Skip(string reason, string where, string? detail = null)
    {
        BadRowsSkipped++;
        _reasons[reason] = _reasons.GetValueOrDefault(reason) + 1;
        if (_examples.Count < MaxExamples)
            _examples.Add(detail is null ? $"{where}: {reason}" : $"{where}: {reason} ({detail})");
    }

    public LoadReport ToReport() =>
        new(source, RowsRead, PairsKept, TiesDropped, BadRowsSkipped,
            new Dictionary<string, int>(_reasons), [.. _examples]);
}
