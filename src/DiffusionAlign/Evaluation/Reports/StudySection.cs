using System.Globalization;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// A study folder's <c>study.json</c> (dalign study) as the page shows it: each regime's answer to "does DSPO beat
/// DPO?", the test table with seed spread and pooled intervals, the head-to-heads, the choices made on
/// validation, the correlations of ranking accuracy with win rate, and the time budget. Read tolerantly, like
/// results.json: what is missing is skipped, so a study still running (no study.json yet) shows nothing here.
/// </summary>
internal static class StudySection
{
    public const string FileName = "study.json";

    /// <summary>Whether the run folder holds a study summary.</summary>
    public static bool Has(ReportRun run) => File.Exists(Path.Combine(run.FullPath, FileName));

    public static void WriteAll(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        var studies = runs.Where(Has).ToList();
        if (studies.Count == 0) return;
        html.Element("h2", "Study: DSPO vs Diffusion-DPO", id: "study");
        foreach (var run in studies)
        {
            string path = Path.Combine(run.FullPath, FileName);
            JsonObject? study;
            try
            {
                study = JsonNode.Parse(File.ReadAllText(path), documentOptions: JsonRead.Lenient) as JsonObject;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException
                                          or InvalidOperationException)
            {
                html.Element("p", $"{path} is not valid JSON: {e.Message.ReplaceLineEndings(" ")}", "note");
                continue;
            }
            if (study is null) continue;
            html.Element("h3", run.Name);
            html.Element("p", $"from {path}, generated {JsonRead.Text(study["generated"]) ?? Format.Missing}",
                "path");
            WriteVerdicts(html, study);
            WriteTest(html, study);
            WriteHeadToHead(html, study);
            WriteSelection(html, study);
            WriteCorrelations(html, study);
            WriteBudget(html, study);
        }
    }

    private static IEnumerable<JsonObject> Objects(JsonNode? node) =>
        node is JsonArray array ? array.OfType<JsonObject>() : [];

    private static void WriteVerdicts(HtmlBuilder html, JsonObject study)
    {
        html.Element("h4", "Does DSPO beat DPO here?");
        foreach (var verdict in Objects(study["verdicts"]))
        {
            html.Markup("<p><b>").Text(JsonRead.Text(verdict["regime"])).Text(": ")
                .Text(JsonRead.Text(verdict["answer"])).Markup("</b>. ")
                .Text(JsonRead.Text(verdict["paragraph"])?.Replace("**", "", StringComparison.Ordinal))
                .Markup("</p>\n");
        }
    }

    private static void WriteTest(HtmlBuilder html, JsonObject study)
    {
        var test = study["test"] as JsonObject;
        var rows = Objects(test?["rows"]).ToList();
        if (rows.Count == 0) return;
        html.Element("h4", "Test: chosen configurations vs the base, over training seeds");
        html.Table(
            ["regime", "method", "chosen", "win rate: seeds mean ± sd (min–max)", "pooled (clustered CI)", "verdict",
                "judge pooled", "judge verdict", "mean reward pooled", "ranking acc", "implicit acc"],
            rows.Select(r => new HtmlRow(
            [
                Text(r, "regime"), Text(r, "family"), Point(r["point"] as JsonObject, r),
                Spread(r["win_rate"] as JsonObject), Pooled(r["pooled_win_rate"] as JsonObject),
                Text(r, "reward_verdict"), Pooled(r["pooled_judge_win_rate"] as JsonObject),
                Text(r, "judge_verdict"), Interval(r["pooled_mean_reward"] as JsonObject, "estimate"),
                F(JsonRead.Number(r["ranking_accuracy"] as JsonObject, "mean")),
                F(JsonRead.Number(r["implicit_reward_accuracy"] as JsonObject, "mean")),
            ])),
            [false, false, false, true, true, false, true, false, true, true, true],
            "Win rates vs the base on the test prompts, ties ½. Pooled: every seed's samples together with a "
            + "prompt-clustered 95% bootstrap interval (clusters = prompts).");
    }

    private static void WriteHeadToHead(HtmlBuilder html, JsonObject study)
    {
        var duels = Objects((study["test"] as JsonObject)?["head_to_head"]).ToList();
        if (duels.Count == 0) return;
        html.Element("h4", "Head to head: each DSPO form vs Diffusion-DPO (test, paired)");
        html.Table(["regime", "DSPO form", "rate over DPO (clustered CI)", "verdict", "judge (clustered CI)",
                "judge verdict", "n"],
            duels.Select(d => new HtmlRow(
            [
                Text(d, "regime"), Text(d, "family"), Pooled(d["reward"] as JsonObject), Text(d, "reward_verdict"),
                Pooled(d["judge"] as JsonObject), Text(d, "judge_verdict"),
                Format.Count(JsonRead.Integer(d["reward"] as JsonObject, "n")),
            ])),
            [false, false, true, false, true, false, true]);
    }

    private static void WriteSelection(HtmlBuilder html, JsonObject study)
    {
        var selection = study["selection"] as JsonObject;
        var chosen = Objects(selection?["chosen"]).ToList();
        if (chosen.Count == 0) return;
        html.Element("h4", "Chosen on validation");
        html.Element("p", $"Rule: {JsonRead.Text(selection!["rule"]) ?? Format.Missing}.", "note");
        html.Table(["regime", "method", "setting", "step", "validation win rate (clustered CI)", "ranking acc",
                "implicit acc", "distance", "candidates"],
            chosen.Select(c =>
            {
                var validation = c["validation"] as JsonObject;
                return new HtmlRow(
                [
                    Text(c, "regime"), Text(c, "family"), Point(c["point"] as JsonObject, null),
                    Format.Count(JsonRead.Integer(c, "step")), Entry(validation?["win_rate"] as JsonObject),
                    F(JsonRead.Number(validation, "ranking_accuracy")),
                    F(JsonRead.Number(validation, "implicit_reward_accuracy")),
                    G(JsonRead.Number(validation, "distance")), Format.Count(JsonRead.Integer(c, "candidates")),
                ]);
            }),
            [false, false, false, true, true, true, true, true, true]);
    }

    private static void WriteCorrelations(HtmlBuilder html, JsonObject study)
    {
        var rows = Objects(study["correlations"]).ToList();
        if (rows.Count == 0) return;
        html.Element("h4", "Ranking accuracy vs win rate and distance (every grid checkpoint)");
        html.Table(["accuracy", "against", "checkpoints", "n", "Pearson", "Spearman"],
            rows.Select(r => new HtmlRow(
            [
                Text(r, "metric"), Text(r, "against"), Text(r, "subset"), Format.Count(JsonRead.Integer(r, "n")),
                F(JsonRead.Number(r, "pearson")), F(JsonRead.Number(r, "spearman")),
            ])),
            [false, false, false, true, true, true], "A dash: undefined (a constant, or fewer than 3 checkpoints).");
    }

    private static void WriteBudget(HtmlBuilder html, JsonObject study)
    {
        if (study["budget"] is not JsonObject budget) return;
        html.Element("h4", "Time budget");
        var estimate = budget["estimate_seconds"] as JsonObject;
        var actual = budget["actual_seconds"] as JsonObject;
        var stages = (estimate?.Select(kv => kv.Key) ?? []).Union(actual?.Select(kv => kv.Key) ?? []).ToList();
        html.Table(["stage", "estimate (min)", "actual (min)"],
            stages.Select(s => new HtmlRow([s, Minutes(JsonRead.Number(estimate, s)),
                Minutes(JsonRead.Number(actual, s))]))
                .Append(new HtmlRow(["total", Minutes(JsonRead.Number(budget, "estimate_total")),
                    Minutes(JsonRead.Number(budget, "actual_total"))])),
            [false, true, true]);
        var cuts = budget["cuts"] is JsonArray list ? list.Select(JsonRead.Text).OfType<string>().ToList() : [];
        if (cuts.Count == 0) return;
        html.Element("p", "Cut to fit the budget:", "note");
        html.Markup("<ul class=\"note\">\n");
        foreach (var cut in cuts) html.Element("li", cut);
        html.Markup("</ul>\n");
    }

    private static string Text(JsonObject obj, string key) => JsonRead.Text(obj[key]) ?? Format.Missing;

    /// <summary>The setting and, for test rows, the step: "β=2000, step 80".</summary>
    private static string Point(JsonObject? point, JsonObject? row)
    {
        string family = JsonRead.Text(point?["family"]) ?? "";
        string setting = family == "sft" ? "—"
            : JsonRead.Number(point, "margin_beta") is double m
                ? $"β={G(JsonRead.Number(point, "beta"))}, margin β={G(m)}"
                : $"β={G(JsonRead.Number(point, "beta"))}";
        return row is null ? setting : $"{setting}, step {Format.Count(JsonRead.Integer(row, "step"))}";
    }

    private static string Spread(JsonObject? s) =>
        s is null ? Format.Missing
        : JsonRead.Number(s, "sd") is double sd
            ? $"{F(JsonRead.Number(s, "mean"))} ± {F(sd)} ({F(JsonRead.Number(s, "min"))}–"
                + $"{F(JsonRead.Number(s, "max"))})"
            : F(JsonRead.Number(s, "mean"));

    private static string Pooled(JsonObject? r) => r is null ? Format.Missing
        : Format.WithInterval(JsonRead.Number(r, "rate"), JsonRead.Number(r, "clustered_ci_low"),
            JsonRead.Number(r, "clustered_ci_high"), 3);

    private static string Entry(JsonObject? e) => e is null ? Format.Missing
        : Format.WithInterval(JsonRead.Number(e, "rate"),
            JsonRead.Number(e, "clustered_ci_low") ?? JsonRead.Number(e, "ci_low"),
            JsonRead.Number(e, "clustered_ci_high") ?? JsonRead.Number(e, "ci_high"), 3);

    private static string Interval(JsonObject? i, string key) => i is null ? Format.Missing
        : Format.WithInterval(JsonRead.Number(i, key), JsonRead.Number(i, "ci_low"), JsonRead.Number(i, "ci_high"),
            3);

    private static string F(double? value) => value is double v && double.IsFinite(v) ? Format.Fixed(v, 3)
        : Format.Missing;

    private static string G(double? value) => value is double v && double.IsFinite(v)
        ? v.ToString("G4", CultureInfo.InvariantCulture)
        : Format.Missing;

    private static string Minutes(double? seconds) => seconds is double s ? Format.Fixed(s / 60, 1) : Format.Missing;
}
