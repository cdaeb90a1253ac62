namespace DiffusionAlign.Evaluation;

/// <summary>One score's win rates: every model vs the baseline, and non-baseline models head to head.</summary>
public sealed record Comparisons(
    Dictionary<string, WinRateEntry> VsBaseline, Dictionary<string, WinRateEntry> HeadToHead);
