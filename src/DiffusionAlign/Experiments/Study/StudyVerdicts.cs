using System.Globalization;
using System.Text;
using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// Writes each regime's answer to "does DSPO beat DPO here?" from the test numbers alone, conservatively: a form
/// beats DPO only when the prompt-clustered interval of its paired head-to-head rate (pooled over seeds) lies above
/// ½ and its pooled win-rate interval against the base does not overlap DPO's; it loses only in the mirror case;
/// otherwise there is no clear difference (a paired edge whose intervals against the base overlap is reported as
/// such, not counted). The second judge's verdicts and the seed spread are reported beside it, never used to
/// overrule it.
/// </summary>
public static class StudyVerdicts
{
    public static List<RegimeVerdict> For(TestStageResult test)
    {
        var verdicts = new List<RegimeVerdict>();
        foreach (var regime in test.Rows.Select(r => r.Regime).Distinct())
        {
            var rows = test.Rows.Where(r => r.Regime == regime).ToList();
            var dpo = rows.FirstOrDefault(r => r.Family == StudyFamily.Dpo);
            var duels = test.HeadToHead.Where(h => h.Regime == regime).ToList();
            if (dpo is null || duels.Count == 0) continue;
            var separate = duels.Where(d => rows.FirstOrDefault(r => r.Family == d.Family) is { } row
                && !Overlap(row, dpo)).ToList();
            var wins = separate.Where(d => d.Reward.ClusteredCiLow > 0.5).ToList();
            var losses = separate.Where(d => d.Reward.ClusteredCiHigh < 0.5).ToList();
            string answer = (wins.Count, losses.Count) switch
            {
                (0, 0) => SeedPooling.NoClearDifference,
                (> 0, 0) => $"yes: {Names(wins)} beat{(wins.Count == 1 ? "s" : "")} Diffusion-DPO",
                (0, _) when losses.Count == duels.Count => "no: Diffusion-DPO beats every DSPO form",
                (0, _) => $"no: Diffusion-DPO beats {Names(losses)}; the other forms show no clear difference",
                _ => $"it depends on the form: {Names(wins)} beat{(wins.Count == 1 ? "s" : "")} Diffusion-DPO, "
                    + $"Diffusion-DPO beats {Names(losses)}",
            };
            verdicts.Add(new RegimeVerdict(regime, answer, Paragraph(regime, rows, dpo, duels, answer)));
        }
        return verdicts;
    }

    private static string Paragraph(StudyRegime regime, List<TestRow> rows, TestRow dpo, List<HeadToHead> duels,
        string answer)
    {
        var text = new StringBuilder();
        text.Append($"**{regime.Key()}** ({regime.Describe()}). On the test prompts, pooled over "
            + $"{dpo.PooledWinRate.Seeds} training seeds with prompt-clustered 95% intervals, Diffusion-DPO "
            + $"({dpo.Point.Describe()}, step {dpo.Step}) wins {Rate(dpo.PooledWinRate)} against the base "
            + $"({dpo.RewardVerdict}). ");
        foreach (var duel in duels)
        {
            var row = rows.FirstOrDefault(r => r.Family == duel.Family);
            if (row is null) continue;
            bool overlap = Overlap(row, dpo);
            bool decided = duel.RewardVerdict != SeedPooling.NoClearDifference;
            text.Append($"{duel.Family.Title()} ({row.Point.Describe()}, step {row.Step}) wins "
                + $"{Rate(row.PooledWinRate)} against the base (intervals {(overlap ? "overlap" : "do not overlap")} "
                + $"DPO's) and {Rate(duel.Reward)} of paired samples against DPO: {duel.RewardVerdict}"
                + (decided && overlap ? " in the paired comparison, but with overlapping intervals against the base "
                    + "this counts as no clear difference" : "") + ". ");
        }
        var disagree = duels.Where(d => d.JudgeVerdict != d.RewardVerdict).ToList();
        text.Append(disagree.Count == 0
            ? "The second judge, which training never sees, reaches the same head-to-head verdicts. "
            : "The second judge disagrees on " + string.Join("; ", disagree.Select(d =>
                $"{d.Family.Title()} vs DPO ({d.JudgeVerdict}, {Rate(d.Judge)})")) + ". ");
        string Spread(TestRow r) => r.WinRate.Sd is double sd
            ? $"{r.Family.Key()} {F(r.WinRate.Min)}–{F(r.WinRate.Max)} (sd {F(sd)})"
            : $"{r.Family.Key()} {F(r.WinRate.Mean)}";
        text.Append($"Per-seed win rates vs base range: {string.Join(", ", rows.Select(Spread))}. ");
        text.Append($"Does DSPO beat DPO here? {Capitalised(answer)}.");
        return text.ToString();
    }

    /// <summary>Whether two rows' pooled win-rate intervals against the base overlap.</summary>
    private static bool Overlap(TestRow a, TestRow b) =>
        a.PooledWinRate.ClusteredCiLow <= b.PooledWinRate.ClusteredCiHigh
        && b.PooledWinRate.ClusteredCiLow <= a.PooledWinRate.ClusteredCiHigh;

    private static string Names(IEnumerable<HeadToHead> duels) =>
        string.Join(" and ", duels.Select(d => d.Family.Title()));

    private static string Rate(PooledRate r) => $"{F(r.Rate)} [{F(r.ClusteredCiLow)}, {F(r.ClusteredCiHigh)}]";

    private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static string Capitalised(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
