using DiffusionAlign.Objectives;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Training curves of every log found (one line per run or method, colours kept across panels) and a table
/// of each log's last values, checkpoint and recipe.
/// </summary>
internal static class TrainingSection
{
    private const int PanelWidth = 760;
    private const int PanelHeight = 440;

    /// <summary>The recipe settings worth a column; the rest stay in the log's details.</summary>
    private static readonly string[] RecipeColumns = ["Method", "Steps", "BatchSize", "LearningRate", "Beta"];

    public static void Write(HtmlBuilder html, IReadOnlyList<(string Label, TrainingLog Log)> logs)
    {
        var files = logs.ToDictionary(l => l.Label, l => l.Log.MetricsPath);
        bool Has(string metric) => logs.Any(l => l.Log.Summary.Last.ContainsKey(metric));

        var panels = new List<(string Title, IReadOnlyList<(string, string)> Series, string YLabel)>
        {
            ("Training loss", [("loss", "")], TrainingCurvesPlot.LossLabel),
        };
        if (Has(ObjectiveMetrics.ImplicitAccuracy))
            panels.Add(("Implicit accuracy (u > 0)", [(ObjectiveMetrics.ImplicitAccuracy, "")],
                "fraction of the batch's pairs"));
        if (Has(ObjectiveMetrics.WinnerErrorVsReference) || Has(ObjectiveMetrics.LoserErrorVsReference))
            panels.Add(("Denoising error vs reference (solid: winners, dashed: losers)",
                [(ObjectiveMetrics.WinnerErrorVsReference, " winners"),
                    (ObjectiveMetrics.LoserErrorVsReference, " losers")],
                "model MSE − reference MSE"));
        html.Markup("<div class=\"panels\">\n");
        foreach (var (title, series, yLabel) in panels)
            html.Image(TrainingCurvesPlot.PanelPng(files, series, title, yLabel, PanelWidth, PanelHeight),
                PanelWidth, PanelHeight, title, "plot");
        html.Markup("</div>\n");
        html.Element("p", $"Curves: {TrainingCurvesPlot.SmoothingNote}. The table holds the last logged values.",
            "note");

        var recipeColumns = RecipeColumns.Where(c => logs.Any(l => l.Log.Recipe.Any(f => f.Name == c))).ToList();
        var headers = new List<string>
        {
            "run", "last step", "checkpoint step", "loss", "implicit acc", "winner err vs ref", "loser err vs ref",
            "skipped non-finite steps",
        };
        headers.AddRange(recipeColumns);
        html.Table(headers, logs.Select(l =>
        {
            var s = l.Log.Summary;
            string Last(string metric) => s.Last.TryGetValue(metric, out var v) ? Format.Number(v) : Format.Missing;
            var cells = new List<string>
            {
                l.Label, s.LastStep is double step ? Format.Number(step) : Format.Missing,
                Format.Count(l.Log.CheckpointStep), Last("loss"), Last(ObjectiveMetrics.ImplicitAccuracy),
                Last(ObjectiveMetrics.WinnerErrorVsReference), Last(ObjectiveMetrics.LoserErrorVsReference),
                Format.Count(s.SkippedNonFinite),
            };
            cells.AddRange(recipeColumns.Select(c => l.Log.Recipe.FirstOrDefault(f => f.Name == c)?.Value
                ?? Format.Missing));
            return new HtmlRow(cells);
        }), headers.Select(h => h is not ("run" or "Method")).ToList());
        foreach (var (label, log) in logs.Where(l => l.Log.Recipe.Count > 0))
        {
            html.Markup("<details><summary>").Text($"{label}: full training recipe").Markup("</summary>\n")
                .Facts(log.Recipe).Markup("</details>\n");
        }
    }
}
