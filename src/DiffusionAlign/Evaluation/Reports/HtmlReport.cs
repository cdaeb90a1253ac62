using System.Text;
using DiffusionAlign.IO;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// One self-contained HTML page to judge runs by: their results with intervals, sample grids, training
/// curves and a ranking-accuracy-vs-win-rate plot over every model found. Every picture is embedded as a
/// data: URI and the page has no script, stylesheet or font to fetch, so it can be mailed or archived as
/// one file; a content security policy makes that a rule the browser enforces.
/// </summary>
public static class HtmlReport
{
    private const string Style = """
        body { font: 15px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; padding: 0 24px 48px;
               max-width: 1320px; }
        h1 { margin: 24px 0 4px; } h2 { border-bottom: 1px solid #ccc; margin-top: 36px; }
        .scroll { overflow-x: auto; margin: 8px 0 16px; }
        table { border-collapse: collapse; }
        caption { caption-side: bottom; text-align: left; color: #666; font-size: 13px; padding-top: 4px; }
        th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; }
        th { background: #f2f4f7; text-align: left; }
        td:first-child { white-space: nowrap; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.baseline td { background: #f7f7f7; color: #555; }
        tr.chosen td { background: #eef6ee; }
        tr.hacking td { background: #fdecea; }
        tr.hacking td:last-child { color: #b00020; font-weight: 600; }
        .warning { color: #b00020; font-weight: 600; background: #fdecea; padding: 6px 10px;
                   border-left: 4px solid #b00020; }
        img { max-width: 100%; height: auto; }
        img.grid { image-rendering: pixelated; border: 1px solid #ddd; }
        .panels { display: flex; flex-wrap: wrap; gap: 8px; }
        .panels img { width: 600px; }
        .path, .note { color: #666; font-size: 13px; }
        dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }
        dt { color: #555; } dd { margin: 0; font-variant-numeric: tabular-nums; }
        pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
        nav a { margin-right: 12px; }
        """;

    /// <summary>
    /// Reads every run and builds the page. <paramref name="generatedUtc"/> is the time in the header (now if
    /// null).
    /// </summary>
    /// <exception cref="DiffusionAlignException">A run is missing, unreadable or holds nothing to report.</exception>
    public static string Build(IReadOnlyList<string> runs, DateTime? generatedUtc = null)
    {
        if (runs.Count == 0) throw new DiffusionAlignException("give at least one run folder");
        var read = UniqueNames(runs.Select(ReportRunReader.Read).ToList());
        var html = new HtmlBuilder();
        string names = string.Join(", ", read.Select(r => r.Name));
        html.Markup("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Markup("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; ")
            .Markup("style-src 'unsafe-inline'\">\n")
            .Markup("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Element("title", $"DiffusionAlign report: {names}")
            .Markup("<style>\n").Markup(Style).Markup("</style>\n</head>\n<body>\n");
        WriteHeader(html, read, generatedUtc ?? DateTime.UtcNow);
        WriteResults(html, read);
        StudySection.WriteAll(html, read);
        OnlineSection.WriteAll(html, read);
        MixSection.WriteAll(html, read);
        WriteScatter(html, read);
        WriteSamples(html, read);
        WriteTraining(html, read);
        WriteProvenance(html, read);
        html.Markup("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Builds the page and writes it atomically: an old report stays whole until the new one is.</summary>
    public static void Write(IReadOnlyList<string> runs, string outPath)
    {
        string page = Build(runs);
        AtomicFile.Write(outPath, stream => stream.Write(Encoding.UTF8.GetBytes(page)));
    }

    private static void WriteHeader(HtmlBuilder html, IReadOnlyList<ReportRun> runs, DateTime generatedUtc)
    {
        html.Element("h1", "DiffusionAlign report");
        html.Element("p", $"{string.Join(", ", runs.Select(r => r.Name))} · generated {Format.Time(generatedUtc)}");
        html.Table(["run", "path", "found", "last written"], runs.Select(r => new HtmlRow(
        [
            r.Name, r.FullPath, Contents(r), Format.Time(r.LastWrittenUtc),
        ])));
        var notes = runs.SelectMany(r => r.Notes.Select(n => $"{r.Name}: {n}")).ToList();
        if (notes.Count > 0)
        {
            html.Markup("<ul class=\"note\">\n");
            foreach (var n in notes) html.Element("li", n);
            html.Markup("</ul>\n");
        }
        html.Markup("<nav><a href=\"#results\">results</a>")
            .Markup(runs.Any(StudySection.Has) ? "<a href=\"#study\">study</a>" : "")
            .Markup(runs.Any(OnlineSection.Has) ? "<a href=\"#online\">online alignment</a>" : "")
            .Markup(runs.Any(MixSection.Has) ? "<a href=\"#mixing\">policy mixtures</a>" : "")
            .Markup("<a href=\"#ranking\">ranking vs win rate</a>")
            .Markup("<a href=\"#samples\">samples</a><a href=\"#training\">training</a>")
            .Markup("<a href=\"#provenance\">provenance</a></nav>\n");
    }

    private static string Contents(ReportRun run)
    {
        var parts = new List<string>();
        if (run.Results is not null) parts.Add(Path.GetFileName(run.ResultsPath!));
        if (StudySection.Has(run)) parts.Add(StudySection.FileName);
        if (OnlineSection.Has(run)) parts.Add(OnlineSection.FileName);
        parts.AddRange(MixSection.Files(run));
        if (run.Training.Count > 0)
            parts.Add(run.Training.Count == 1 ? "1 training log" : $"{run.Training.Count} training logs");
        parts.AddRange(run.Images.Select(i => i.RelativePath));
        return string.Join(", ", parts);
    }

    private static void WriteResults(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        html.Element("h2", "Results", id: "results");
        var withResults = runs.Where(r => r.Results is not null).ToList();
        if (withResults.Count == 0) html.Element("p", "No run holds a results.json.", "note");
        foreach (var run in withResults) ResultsSection.Write(html, run, run.Results!);
    }

    private static void WriteScatter(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        html.Element("h2", "Ranking accuracy vs win rate", id: "ranking");
        bool prefix = runs.Count(r => r.Results is not null) > 1;
        var points = runs.Where(r => r.Results is not null)
            .SelectMany(r => r.Results!.Models
                .Where(m => m.RankingAccuracy is not null && m.Win?.Rate is not null)
                .Select(m => new ModelPoint(prefix ? $"{r.Name}/{m.Name}" : m.Name, m.RankingAccuracy!.Value,
                    m.Win!.Rate!.Value, m.Win.Clustered.Low ?? m.Win.CiLow, m.Win.Clustered.High ?? m.Win.CiHigh)))
            .ToList();
        if (points.Count == 0)
        {
            html.Element("p", "No model has both a ranking accuracy and a win rate vs a baseline.", "note");
            return;
        }
        // The baseline's own ranking accuracy is the x a model must beat; drawn only when one baseline is shared.
        var baselines = runs.Where(r => r.Results is not null)
            .Select(r => r.Results!.Models.FirstOrDefault(m => m.Name == r.Results.Baseline)?.RankingAccuracy)
            .Distinct().ToList();
        const int width = 900, height = 560;
        html.Image(RankingVsWinRatePlot.Png(points, baselines.Count == 1 ? baselines[0] : null, width, height),
            width, height, "ranking accuracy vs win rate, one point per model", "plot");
        html.Element("p", "One point per model and run: x is the model's likelihood-proxy ranking accuracy on "
            + "held-out pairs, y its reward win rate against the baseline with its 95% interval as a bar (the "
            + "prompt-clustered one where results.json has it, else Wilson's). Dotted "
            + "lines mark chance (0.5); the dashed line, where drawn, is the baseline's own ranking accuracy.",
            "note");
    }

    private static void WriteSamples(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        html.Element("h2", "Samples", id: "samples");
        var any = false;
        foreach (var run in runs)
            foreach (var image in run.Images.Where(i => !MixSection.Shows(run, i)))
            {
                any = true;
                bool grid = image.RelativePath.StartsWith("samples", StringComparison.Ordinal);
                html.Markup("<figure>\n");
                html.Image(image.Png, image.Width, image.Height, $"{run.Name}: {image.RelativePath}",
                    grid ? "grid" : null);
                string caption = $"{run.Name}: {image.RelativePath} ({image.Width}×{image.Height})";
                if (grid)
                {
                    caption += ". Same held-out prompts and initial noise in every column, one row per model";
                    var models = run.Results?.Models.Where(m => m.MeanReward is not null).Select(m => m.Name)
                        .ToList();
                    if (models is { Count: > 0 })
                        caption += $"; this run's models, in results order: {string.Join(", ", models)}";
                }
                html.Element("figcaption", caption);
                html.Markup("</figure>\n");
            }
        if (!any) html.Element("p", "No run folder holds a PNG image.", "note");
    }

    private static void WriteTraining(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        html.Element("h2", "Training", id: "training");
        bool prefix = runs.Count(r => r.Training.Count > 0) > 1;
        var logs = new List<(string Label, TrainingLog Log)>();
        foreach (var run in runs)
            foreach (var log in run.Training)
            {
                // The run's own log carries the run's name; a demo's per-method logs their method's.
                bool own = Path.GetDirectoryName(log.MetricsPath) == run.FullPath;
                string label = own ? run.Name : prefix ? $"{run.Name}/{log.Label}" : log.Label;
                while (logs.Any(l => l.Label == label)) label += "'";
                logs.Add((label, log));
            }
        if (logs.Count == 0)
        {
            html.Element("p", "No run holds a metrics.jsonl.", "note");
            return;
        }
        TrainingSection.Write(html, logs);
    }

    private static void WriteProvenance(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        html.Element("h2", "Provenance", id: "provenance");
        // The run's own saved model, then those beside its other training logs (a demo's per-method models).
        var entries = runs.SelectMany(r => r.Training
                .Where(t => Path.GetDirectoryName(t.MetricsPath) != r.FullPath)
                .Select(t => (Title: $"{r.Name}/{t.Label}", t.Provenance))
                .Prepend((Title: r.Name, r.Provenance)))
            .Where(e => e.Provenance.Count > 0)
            .ToList();
        if (entries.Count == 0)
            html.Element("p", "No saved model in the run folders records how it was made.", "note");
        foreach (var (title, provenance) in entries)
        {
            html.Element("h3", title);
            html.Facts(provenance);
        }
    }

    /// <summary>Runs of the same folder name get their parent's name too, so labels stay apart.</summary>
    private static List<ReportRun> UniqueNames(List<ReportRun> runs)
    {
        var result = new List<ReportRun>();
        foreach (var run in runs)
        {
            string name = string.IsNullOrEmpty(run.Name) ? run.FullPath : run.Name;
            if (runs.Count(r => r.Name == run.Name) > 1)
            {
                string? parent = Path.GetFileName(Path.GetDirectoryName(run.FullPath));
                if (!string.IsNullOrEmpty(parent)) name = $"{parent}/{name}";
            }
            while (result.Any(r => r.Name == name)) name += "'";
            result.Add(run with { Name = name });
        }
        return result;
    }
}
