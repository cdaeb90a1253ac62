namespace DiffusionAlign.Data;

/// <summary>Opens preference pairs in whichever supported format a path holds.</summary>
public static class PreferenceData
{
    /// <summary>
    /// A pairs folder or <c>pairs.jsonl</c> (format a), or a Pick-a-Pic-style parquet file or folder
    /// of parquet files (format b). Images are resized to <paramref name="imageSize"/>.
    /// </summary>
    public static (PreferenceDataset Dataset, LoadReport Report) Load(string path, int imageSize, int? maxPairs = null)
    {
        InvalidSettingException.Check(maxPairs is null or >= 1, "MaxPairs", $"must be at least 1, got {maxPairs}");
        bool isParquet = IsParquet(path);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new DiffusionAlignException($"pairs not found: {path}");
        var (dataset, report) = isParquet
            ? PickAPicParquet.Read(path, imageSize, maxPairs)
            : PairsFolder.Read(path, imageSize);
        if (!isParquet && maxPairs is int max && dataset.Count > max)
            dataset = new PreferenceDataset(Enumerable.Range(0, max).Select(i => dataset[i]).ToList());
        return (dataset, report);
    }

    /// <summary>Whether <paramref name="path"/> is Pick-a-Pic-style parquet (a file or a folder of shards).</summary>
    public static bool IsParquet(string path) =>
        path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
        || (Directory.Exists(path)
            && !File.Exists(Path.Combine(path, "pairs.jsonl"))
            && Directory.EnumerateFiles(path, "*.parquet").Any());
}
