using DiffusionAlign.Text;

namespace DiffusionAlign.Data;

/// <summary>Opens preference pairs in whichever supported format a path holds.</summary>
public static class PreferenceData
{
    /// <summary>
    /// A pairs folder or <c>pairs.jsonl</c> (format a), or a Pick-a-Pic-style parquet file or folder
    /// of parquet files (format b). Images are resized to <paramref name="imageSize"/>. With
    /// <paramref name="checkPrompt"/> (see <see cref="PromptCheck"/>), pairs whose prompt it gives a skip
    /// reason for are skipped and counted in the report like any other bad row.
    /// </summary>
    public static (PreferenceDataset Dataset, LoadReport Report) Load(
        string path, int imageSize, int? maxPairs = null, Func<string, string?>? checkPrompt = null)
    {
        InvalidSettingException.Check(maxPairs is null or >= 1, "MaxPairs", $"must be at least 1, got {maxPairs}");
        bool isParquet = IsParquet(path);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new DiffusionAlignException($"pairs not found: {path}");
        var (dataset, report) = isParquet
            ? PickAPicParquet.Read(path, imageSize, maxPairs)
            : PairsFolder.Read(path, imageSize, checkPrompt);
        if (isParquet && checkPrompt is not null) (dataset, report) = SkipBadPrompts(dataset, report, checkPrompt);
        if (!isParquet && maxPairs is int max && dataset.Count > max)
            dataset = new PreferenceDataset(Enumerable.Range(0, max).Select(i => dataset[i]).ToList());
        return (dataset, report);
    }

    /// <summary>
    /// A prompt check for <see cref="Load"/>: <see cref="SkipReason.UnknownWord"/> or
    /// <see cref="SkipReason.PromptTooLong"/> for a prompt one of <paramref name="tokenizers"/> cannot encode,
    /// null for one they all can.
    /// </summary>
    public static Func<string, string?> PromptCheck(params ITextTokenizer[] tokenizers)
    {
        var all = tokenizers.ToArray();
        return prompt =>
        {
            foreach (var tokenizer in all)
            {
                if (tokenizer.UnknownWords(prompt).Count > 0) return SkipReason.UnknownWord;
                try
                {
                    tokenizer.Encode(prompt);
                }
                catch (DiffusionAlignException)
                {
                    // Known words that do not encode: the documented other failure is length.
                    return SkipReason.PromptTooLong;
                }
            }
            return null;
        };
    }

    /// <summary>Whether <paramref name="path"/> is Pick-a-Pic-style parquet (a file or a folder of shards).</summary>
    public static bool IsParquet(string path) =>
        path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
        || (Directory.Exists(path)
            && !File.Exists(Path.Combine(path, "pairs.jsonl"))
            && Directory.EnumerateFiles(path, "*.parquet").Any());

    /// <summary>
    /// Drops pairs whose prompt fails <paramref name="checkPrompt"/> after a reader that cannot check them
    /// itself (parquet), moving them from kept to skipped in the report.
    /// </summary>
    private static (PreferenceDataset, LoadReport) SkipBadPrompts(
        PreferenceDataset dataset, LoadReport report, Func<string, string?> checkPrompt)
    {
        var kept = new List<PreferencePair>(dataset.Count);
        var reasons = new Dictionary<string, int>(report.SkipReasons, StringComparer.Ordinal);
        var examples = report.Examples.ToList();
        for (int i = 0; i < dataset.Count; i++)
        {
            var pair = dataset[i];
            if (checkPrompt(pair.Prompt) is not string reason)
            {
                kept.Add(pair);
                continue;
            }
            reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            if (examples.Count < LoadTally.MaxExamples) examples.Add($"pair {i + 1}: {reason} ('{pair.Prompt}')");
        }
        int skipped = dataset.Count - kept.Count;
        if (skipped == 0) return (dataset, report);
        var updated = report with
        {
            PairsKept = report.PairsKept - skipped,
            BadRowsSkipped = report.BadRowsSkipped + skipped,
            SkipReasons = reasons,
            Examples = examples,
        };
        if (kept.Count == 0)
            throw new DiffusionAlignException(
                $"no usable preference pairs in {report.Source} ({updated.RowsRead} rows read: "
                + $"{updated.ReasonSummary})");
        return (new PreferenceDataset(kept), updated);
    }
}
