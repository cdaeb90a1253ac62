using System.Globalization;
using DiffusionAlign.Evaluation;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DiffusionAlign.Cli;

/// <summary>
/// Prints evaluation results as tables: one row per model, then one row per comparison with its Wilson and
/// prompt-clustered intervals; a replicate group's pooled row follows its last replicate, and a third table gives
/// the spread across each group's replicates. On a terminal the tables fit its width; redirected, each row stays on
/// one line (see <see cref="TableConsole"/>).
/// </summary>
public static class ResultsTable
{
    /// <summary>Prints to standard output, unwrapped when it is redirected.</summary>
    public static void Print(EvaluationResults results) => Print(results, Console.Out, Console.IsOutputRedirected);

    /// <summary>Prints to <paramref name="writer"/>; <paramref name="redirected"/> when it is not a terminal.</summary>
    public static void Print(EvaluationResults results, TextWriter writer, bool redirected)
    {
        var console = TableConsole.Create(writer, redirected);
        if (results.Models.Count == 0)
        {
            PrintRanking(results, console);
            return;
        }
        PrintModels(results, console);
        PrintComparisons(results, console, writer);
        PrintReplicates(results, console);
        writer.WriteLine($"mean reward of uniform-noise images for the same prompts: {results.NoiseImageReward:F4}");
        if (results.IdealizedRankingAccuracy is double ideal)
            writer.WriteLine($"idealized ranking accuracy "
                + $"(exact DPO optimum at β={results.Settings.GetValueOrDefault("beta")}): {ideal:F3}");
        foreach (var (name, gap) in results.AlignmentGap ?? [])
            writer.WriteLine($"alignment gap (idealized − ranking acc) {name}: {gap.Value:F3} "
                + $"[{gap.CiLow:F3}, {gap.CiHigh:F3}] over n={gap.N} pairs");
        if (results.LabelRewardAgreement is double agree)
            writer.WriteLine($"held-out labels agree with the true reward order on {agree:P1} "
                + $"of {results.HeldOutPairs} pairs");
        foreach (var d in results.JudgeDisagreements ?? [])
        {
            writer.WriteLine($"reward and judge disagree on {d.Model} vs {d.Vs} ({d.Interval} intervals):");
            writer.WriteLine($"  reward says {d.RewardVerdict} {Interval(d.RewardCiLow, d.RewardCiHigh)}, "
                + $"judge says {d.JudgeVerdict} {Interval(d.JudgeCiLow, d.JudgeCiHigh)}");
        }
    }

    private static void PrintModels(EvaluationResults results, IAnsiConsole console)
    {
        var table = new Table().Title(Title(results));
        bool judge = results.Judge is not null;
        AddColumns(table, "model", "mean reward", "95% CI (t)", "95% CI (clustered)", "colour",
            judge ? "judge" : null, "rank acc", "implicit acc");
        foreach (var (name, s) in results.Models)
        {
            string rank = results.RankingAccuracy.TryGetValue(name, out var r) ? $"{r:F3}" : "—";
            string imp = results.ImplicitRewardAccuracy.TryGetValue(name, out var i) ? $"{i:F3}" : "—";
            string judged = results.Judge?.Models.TryGetValue(name, out var j) == true ? $"{j.MeanScore:F3}" : "—";
            AddRow(table, name, $"{s.MeanReward:F4}", Interval(s.MeanRewardCiLow, s.MeanRewardCiHigh, "F4"),
                Clustered(s, "F4"), $"{s.ColourAccuracy:P0}",
                judge ? judged : null, rank, imp);
            foreach (var (group, pooled) in PooledAfter(results, name))
            {
                var p = pooled.Scores;
                AddRow(table, PooledName(group, pooled), $"{p.MeanReward:F4}",
                    Interval(p.MeanRewardCiLow, p.MeanRewardCiHigh, "F4"), Clustered(p, "F4"),
                    $"{p.ColourAccuracy:P0}", judge ? "—" : null, "—", "—");
            }
        }
        console.Write(table);
    }

    private static void PrintComparisons(EvaluationResults results, IAnsiConsole console, TextWriter writer)
    {
        var rows = results.WinRate.SelectMany(kv => PooledAfter(results, kv.Key)
                .Select(g => (Model: PooledName(g.Group, g.Pooled), Key: g.Group, Entry: g.Pooled.WinRate,
                    Judge: g.Pooled.JudgeWinRate))
                .Prepend((Model: kv.Key, Key: kv.Key, Entry: kv.Value, Judge: Judged(results.Judge?.WinRate, kv.Key))))
            .Concat(results.HeadToHead.Select(kv => (Model: ModelOf(kv.Key, kv.Value.Vs), Key: kv.Key,
                Entry: kv.Value, Judge: Judged(results.Judge?.HeadToHead, kv.Key))))
            .ToList();
        if (rows.Count == 0) return;
        bool judge = results.Judge is not null;
        var table = new Table().Title(results.RewardResolution is double res
            ? $"win rates, ties ½; a tie unless |Δ reward| > {res.ToString("G3", CultureInfo.InvariantCulture)}"
            : "win rates, ties ½");
        AddColumns(table, "comparison", "win rate", "95% Wilson", "95% clustered", "W / T / L",
            judge ? "judge" : null, judge ? "judge clustered" : null);
        foreach (var (model, _, w, j) in rows)
            AddRow(table, $"{model} vs {w.Vs}", $"{w.Rate:F3}", Interval(w.CiLow, w.CiHigh),
                Clustered(w), $"{w.Wins} / {w.Ties} / {w.Losses}",
                judge ? (j is null ? "—" : $"{j.Rate:F3}") : null,
                judge ? (j is null ? "—" : Clustered(j)) : null);
        console.Write(table);
        if (results.RewardResolution is double reward)
            writer.WriteLine("resolution (99th percentile of score moves under dithered 8-bit requantisation): "
                + $"reward {reward.ToString("G3", CultureInfo.InvariantCulture)}"
                + (results.Judge is { } jr
                    ? $", judge {jr.Resolution.ToString("G3", CultureInfo.InvariantCulture)}"
                    : ""));
        writer.WriteLine("clustered: bootstrap over prompts, then noises within each prompt");
    }

    /// <summary>Each replicate group's per-replicate figures: mean ± sd [min, max] over its replicates.</summary>
    private static void PrintReplicates(EvaluationResults results, IAnsiConsole console)
    {
        if (results.Pooled is not { Count: > 0 } pooled) return;
        var table = new Table().Title(Markup.Escape(
            "across training replicates: mean ± sd [min, max] of each replicate's figure"));
        bool judge = pooled.Values.Any(p => p.AcrossReplicates.ContainsKey("judge_win_rate"));
        AddColumns(table, "group", "replicates", $"win rate vs {results.Baseline}", "mean reward",
            judge ? "judge win rate" : null);
        foreach (var (group, p) in pooled)
            AddRow(table, group, string.Join(", ", p.Replicates), Spread(p, "win_rate", "F3"),
                Spread(p, "mean_reward", "F4"), judge ? Spread(p, "judge_win_rate", "F3") : null);
        console.Write(table);
    }

    private static string Spread(PooledReplicates pooled, string key, string format) =>
        pooled.AcrossReplicates.TryGetValue(key, out var s)
            ? $"{s.Mean.ToString(format)} ± {s.Sd?.ToString(format) ?? "—"} "
                + $"[{s.Min.ToString(format)}, {s.Max.ToString(format)}]"
            : "—";

    /// <summary>The replicate groups whose last replicate is <paramref name="model"/>: their rows follow its.</summary>
    private static IEnumerable<(string Group, PooledReplicates Pooled)> PooledAfter(
        EvaluationResults results, string model) =>
        (results.Pooled ?? []).Where(kv => kv.Value.Replicates.Count > 0 && kv.Value.Replicates[^1] == model)
            .Select(kv => (kv.Key, kv.Value));

    private static string PooledName(string group, PooledReplicates pooled) =>
        $"{group} (pooled, {pooled.Replicates.Count} replicates)";

    /// <summary>Ranking accuracies alone (models without a reward to sample against).</summary>
    private static void PrintRanking(EvaluationResults results, IAnsiConsole console)
    {
        var table = new Table().Title($"ranking {results.HeldOutPairs} held-out pairs, vs {results.Baseline}");
        AddColumns(table, "model", "ranking acc", "implicit-reward acc");
        foreach (var (name, r) in results.RankingAccuracy)
        {
            string imp = results.ImplicitRewardAccuracy.TryGetValue(name, out var i) ? $"{i:F3}" : "—";
            AddRow(table, name, $"{r:F3}", imp);
        }
        console.Write(table);
    }

    private static string Title(EvaluationResults results)
    {
        var first = results.Models.Values.First();
        string design = first.Prompts is int p && first.Seeds is int s
            ? $"{p} {results.PromptSet ?? "held-out"} prompts × {s} noises"
            : "held-out prompts";
        return Markup.Escape($"vs {results.Baseline} on {design}");
    }

    private static WinRateEntry? Judged(Dictionary<string, WinRateEntry>? section, string key) =>
        section is not null && section.TryGetValue(key, out var entry) ? entry : null;

    /// <summary>"a" of a head-to-head key "a_vs_b" (model names may contain "_vs_" themselves).</summary>
    private static string ModelOf(string key, string vs) =>
        key.EndsWith("_vs_" + vs, StringComparison.Ordinal) ? key[..^("_vs_" + vs).Length] : key;

    private static string Clustered(IClusteredEntry entry, string format = "F3") =>
        Interval(entry.ClusteredCiLow, entry.ClusteredCiHigh, format);

    private static string Interval(double? low, double? high, string format = "F3") =>
        low is double l && high is double h ? $"[{l.ToString(format)}, {h.ToString(format)}]" : "—";

    /// <summary>Adds the columns whose header is not null (a null header leaves an optional column out).</summary>
    private static void AddColumns(Table table, params string?[] headers)
    {
        foreach (var h in headers.OfType<string>()) table.AddColumn(new TableColumn(new Spectre.Console.Text(h)));
    }

    /// <summary>Adds the cells that are not null, as plain text: interval brackets are not Spectre markup.</summary>
    private static void AddRow(Table table, params string?[] cells) =>
        table.AddRow(cells.OfType<string>().Select(cell => (IRenderable)new Spectre.Console.Text(cell)).ToArray());
}
