namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// One run's results.json as the page shows it: the per-model table with intervals (a replicate group's pooled row
/// after its replicates), the spread across each group's replicates, the evaluation's single numbers, the
/// head-to-head comparisons, the settings, then any section this version has no layout for.
/// </summary>
internal static class ResultsSection
{
    public static void Write(HtmlBuilder html, ReportRun run, ResultsView results)
    {
        html.Element("h3", run.Name);
        html.Element("p", $"from {run.ResultsPath}; baseline: {results.Baseline ?? Format.Missing}", "path");
        if (results.Models.Count > 0) WriteModels(html, results);
        if (results.Replicates.Count > 0) WriteReplicates(html, results);
        var scalars = results.Other.Where(o => JsonRead.IsScalar(o.Value))
            .Select(o => new Field(o.Key, JsonRead.Scalar(o.Value)));
        var facts = results.Facts.Concat(scalars).ToList();
        if (facts.Count > 0) html.Facts(facts);
        if (results.HeadToHead.Count > 0) WriteHeadToHead(html, results);
        foreach (var (key, value) in results.Other.Where(o => !JsonRead.IsScalar(o.Value)))
            JsonHtml.Write(html, key, value);
        if (results.Settings.Count > 0)
        {
            html.Markup("<details><summary>evaluation settings</summary>\n").Facts(results.Settings)
                .Markup("</details>\n");
        }
    }

    /// <summary>
    /// The model table; a column no model has a value for is left out (e.g. rewards of a ranking-only eval, or
    /// clustered intervals of an older file).
    /// </summary>
    private static void WriteModels(HtmlBuilder html, ResultsView results)
    {
        string vs = results.Baseline ?? "baseline";
        var columns = new List<(string Header, bool Numeric, Func<ModelRow, string?> Cell)>
        {
            ("model", false, m => m.Name),
            ("mean reward (95% CI)", true, m => m.MeanReward is null ? null
                : Format.WithInterval(m.MeanReward, m.RewardLow, m.RewardHigh, 4)),
            ("clustered CI", true, m => m.RewardClustered?.Text(4)),
            ("colour right", true, m => m.ColourAccuracy is double c ? Format.Fixed(c, 3) : null),
            ("samples", true, m => m.N is int n ? Format.Count(n) : null),
            ($"win rate vs {vs} (95% CI)", true,
                m => m.Win?.Interval ?? (m.Name == results.Baseline ? "baseline" : null)),
            ("clustered CI", true, m => m.Win?.Clustered.Text(3)),
            ("n / wins / ties / losses", true, m => m.Win?.Counts),
            ("ranking acc", true, m => m.RankingAccuracy is double r ? Format.Fixed(r, 3) : null),
            ("implicit-reward acc", true, m => m.ImplicitAccuracy is double i ? Format.Fixed(i, 3) : null),
            ("other", false, m => m.Extra.Count + (m.Win?.Extra.Count ?? 0) == 0 ? null
                : Joined(m.Extra.Concat(m.Win?.Extra ?? []).Distinct())),
        };
        columns = columns.Where((c, i) => i == 0
            || results.Models.Any(m => c.Cell(m) is not null && c.Cell(m) != "baseline")).ToList();
        html.Table(columns.Select(c => c.Header).ToList(),
            results.Models.Select(m => new HtmlRow(columns.Select(c => c.Cell(m) ?? Format.Missing).ToList(),
                m.Name == results.Baseline ? "baseline" : null)),
            columns.Select(c => c.Numeric).ToList(),
            "Intervals are 95%. " + Methods("Mean reward", results.Models.Select(m => m.RewardClustered))
            + Methods("Win rate", results.Models.Select(m => m.Win?.Clustered)) + "Win rates count ties ½.");
    }

    /// <summary>Per replicate group, each per-replicate figure as mean ± sd [min, max] over its replicates.</summary>
    private static void WriteReplicates(HtmlBuilder html, ResultsView results)
    {
        var figures = results.Replicates.SelectMany(r => r.Spreads.Select(f => f.Name)).Distinct().ToList();
        var headers = new List<string> { "replicate group", "replicates" };
        headers.AddRange(figures.Select(f => f.Replace('_', ' ')));
        html.Table(headers, results.Replicates.Select(r => new HtmlRow([r.Group, string.Join(", ", r.Replicates),
                .. figures.Select(f => r.Spreads.FirstOrDefault(s => s.Name == f)?.Value ?? Format.Missing)])),
            headers.Select((_, i) => i >= 2).ToList(),
            "Across training replicates: mean ± sd [min, max] of each replicate's own figure. The pooled rows above "
            + "count every replicate's comparisons together; their clustered intervals resample prompts, each "
            + "holding all replicates' samples of it.");
    }

    private static void WriteHeadToHead(HtmlBuilder html, ResultsView results)
    {
        var entries = results.HeadToHead;
        bool clustered = entries.Any(h => h.Entry.Clustered.Text(3) is not null);
        bool extra = entries.Any(h => h.Entry.Extra.Count > 0);
        var headers = new List<string> { "head to head", "win rate (95% CI)" };
        if (clustered) headers.Add("clustered CI");
        headers.Add("n / wins / ties / losses");
        if (extra) headers.Add("other");
        html.Table(headers, entries.Select(h =>
        {
            var cells = new List<string> { h.Key, h.Entry.Interval };
            if (clustered) cells.Add(h.Entry.Clustered.Text(3) ?? Format.Missing);
            cells.Add(h.Entry.Counts);
            if (extra) cells.Add(Joined(h.Entry.Extra));
            return new HtmlRow(cells);
        }), headers.Select(h => h is not ("head to head" or "other")).ToList(),
            "Every pair of non-baseline models; ties count ½");
    }

    /// <summary>How a column's intervals were made, each distinct description once: "Win rate: wilson; …".</summary>
    private static string Methods(string what, IEnumerable<ClusteredInterval?> intervals)
    {
        var methods = intervals.Where(i => i is not null).SelectMany(i => i!.Methods)
            .Select(f => f.Name == "ci_method" ? f.Value : $"clustered: {f.Value}")
            .Distinct().ToList();
        return methods.Count == 0 ? "" : $"{what}: {string.Join("; ", methods)}. ";
    }

    private static string Joined(IEnumerable<Field> fields) =>
        string.Join("; ", fields.Select(f => $"{f.Name}={f.Value}"));
}
