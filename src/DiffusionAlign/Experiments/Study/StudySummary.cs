using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>One method's test row, as a script reads it: the choice and the seed-pooled figures.</summary>
public sealed record StudySummaryRow(
    StudyRegime Regime, StudyFamily Method, string Setting, int Step, int Seeds, PooledRate WinRate,
    PooledRate JudgeWinRate, double MeanReward, double MeanRewardCiLow, double MeanRewardCiHigh, string Verdict);

/// <summary>
/// The short form of <c>study.json</c> that <c>dalign study --json</c> prints: each regime's answer, the test
/// table and the head-to-heads, the time taken, and where the full results are. Null when the summary stage did not
/// run (a single earlier stage was asked for).
/// </summary>
public sealed record StudySummary(
    string Folder, List<RegimeVerdict> Verdicts, List<StudySummaryRow> Test, List<HeadToHead> HeadToHead,
    double RewardResolution, double Minutes, List<string> Files)
{
    public static StudySummary From(StudyReport report, string folder) => new(
        folder,
        report.Verdicts,
        [.. report.Test.Rows.Select(r => new StudySummaryRow(r.Regime, r.Family, r.Point.Describe(), r.Step,
            r.PooledWinRate.Seeds, r.PooledWinRate, r.PooledJudgeWinRate, r.PooledMeanReward.Estimate,
            r.PooledMeanReward.CiLow, r.PooledMeanReward.CiHigh, r.RewardVerdict))],
        report.Test.HeadToHead,
        report.Test.RewardResolution,
        report.Budget.ActualTotal / 60,
        [StudyLayout.StudyJson, StudyLayout.StudyMarkdown, StudyLayout.ReportHtml, .. report.Plots]);

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, StudyJson.Options);
}
