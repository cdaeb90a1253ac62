namespace DiffusionAlign.Evaluation;

/// <summary>
/// Finds the comparisons the reward and the second judge decide differently: one says a model wins (its 95%
/// interval of the win rate lies above ½, or below ½ for the other model) and the other does not say so. A
/// model that games the reward shows up here: the reward says it wins, the judge does not.
/// </summary>
public static class JudgeDisagreements
{
    /// <summary>The disagreements, baseline comparisons first, each section in the reward's order.</summary>
    /// <param name="reward">The reward's win rates vs the baseline and head to head.</param>
    /// <param name="judge">The judge's, same keys.</param>
    public static List<JudgeDisagreement> Find(Comparisons reward, Comparisons judge)
    {
        var found = new List<JudgeDisagreement>();
        foreach (var (key, entry) in reward.VsBaseline)
            if (judge.VsBaseline.TryGetValue(key, out var other)
                && Compare("win_rate", key, key, entry, other) is { } d)
                found.Add(d);
        foreach (var (key, entry) in reward.HeadToHead)
        {
            // Keys are "a_vs_b" with b the entry's Vs; model names may themselves contain "_vs_".
            string suffix = "_vs_" + entry.Vs;
            string model = key.EndsWith(suffix, StringComparison.Ordinal) ? key[..^suffix.Length] : key;
            if (judge.HeadToHead.TryGetValue(key, out var other)
                && Compare("head_to_head", key, model, entry, other) is { } d)
                found.Add(d);
        }
        return found;
    }

    private static JudgeDisagreement? Compare(
        string section, string key, string model, WinRateEntry reward, WinRateEntry judge)
    {
        // Both sides are decided by the same kind of interval: clustered when both have one.
        bool clustered = reward.ClusteredCiLow is not null && judge.ClusteredCiLow is not null;
        var (rewardLow, rewardHigh) = Interval(reward, clustered);
        var (judgeLow, judgeHigh) = Interval(judge, clustered);
        string rewardVerdict = Verdict(rewardLow, rewardHigh, model, reward.Vs);
        string judgeVerdict = Verdict(judgeLow, judgeHigh, model, judge.Vs);
        if (rewardVerdict == judgeVerdict) return null;
        return new JudgeDisagreement(section, key, model, reward.Vs, rewardVerdict, judgeVerdict, reward.Rate,
            rewardLow, rewardHigh, judge.Rate, judgeLow, judgeHigh, clustered ? "clustered" : "wilson");
    }

    private static (double Low, double High) Interval(WinRateEntry entry, bool clustered) => clustered
        ? (entry.ClusteredCiLow!.Value, entry.ClusteredCiHigh!.Value)
        : (entry.CiLow, entry.CiHigh);

    private static string Verdict(double low, double high, string model, string vs) =>
        low > 0.5 ? $"{model} wins" : high < 0.5 ? $"{vs} wins" : "no clear winner";
}
