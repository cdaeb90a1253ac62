using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Evaluation.Reports;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign plot</c>: win rate against the baseline along an x the user gives each model (gold labels spent,
/// steps, …), one line per series, from one <c>dalign eval</c> results.json (<see cref="WinRateCurve"/>). The
/// points are also printed, as a table or with <c>--json</c> as JSON, so the figures can be read without the image.
/// </summary>
public static class PlotCommand
{
    public static Command Create()
    {
        var results = new Option<string>("--results")
        {
            Description = "The results.json of 'dalign eval' to read the win rates from", Required = true,
        };
        var series = new Option<string[]>("--series")
        {
            Description = "NAME=MODEL@X[,MODEL@X...]: one line through these models at these x; repeat for each "
                + "line (a MODEL given more than once to eval stands for its pooled replicates)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var xLabel = new Option<string>("--x-label")
        {
            Description = "Label of the x axis", DefaultValueFactory = _ => "x",
        };
        var title = new Option<string?>("--title") { Description = "Title (default: what the bars are)" };
        var outPath = new Option<string>("--out") { Description = "The PNG file to write", Required = true };
        var json = CommonOptions.Json("the plotted points");
        var command = new Command("plot",
            "Plot win rate vs the baseline along an x per model, from an eval's results.json, with 95% intervals");
        foreach (var o in new Option[] { results, series, xLabel, title, outPath, json }) command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string path = result.GetValue(outPath)!;
            OutputPath.CheckFile(path, "win-rate.png");
            var specs = result.GetValue(series)!.Select(WinRateSeries.Parse).ToList();
            var evaluation = EvaluationResults.Load(result.GetValue(results)!);
            var lines = WinRateCurve.Points(evaluation, specs);
            WinRateCurvePlot.Save(path, lines, evaluation.Baseline, result.GetValue(xLabel)!, result.GetValue(title));
            if (result.GetValue(json))
                CliOutput.Result(JsonSerializer.Serialize(new { baseline = evaluation.Baseline, series = lines },
                    EvaluationResults.JsonOptions));
            else Print(lines, evaluation.Baseline, Console.Out, Console.IsOutputRedirected);
            CliOutput.Log($"wrote {path}");
            return 0;
        }));
        return command;
    }

    /// <summary>One row per plotted point.</summary>
    public static void Print(IReadOnlyList<WinRateCurveLine> lines, string baseline, TextWriter writer,
        bool redirected)
    {
        var table = new Table().Title(Markup.Escape($"win rate vs {baseline}, 95% intervals"));
        foreach (var h in new[] { "series", "model", "x", "win rate", "low", "high", "interval" })
            table.AddColumn(new TableColumn(new Spectre.Console.Text(h)));
        foreach (var line in lines)
            foreach (var p in line.Points)
                table.AddRow(new[]
                {
                    line.Series, p.Model, p.X.ToString("G", CultureInfo.InvariantCulture), F(p.Rate), F(p.Low),
                    F(p.High), p.PooledReplicates is int n ? $"{p.Interval}, {n} replicates pooled" : p.Interval,
                }.Select(cell => (IRenderable)new Spectre.Console.Text(cell)).ToArray());
        TableConsole.Create(writer, redirected).Write(table);
    }

    private static string F(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
