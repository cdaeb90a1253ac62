using System.CommandLine;
using DiffusionAlign.Evaluation.Reports;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign report</c>: one self-contained HTML page over align (offline or online), eval, demo, study and mix
/// outputs: results with intervals, sample grids, training curves, ranking accuracy against win rate, online
/// rounds with their reward-hacking flags, and mixtures with their weights and Pareto front.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<string[]>("--run")
        {
            Description = "An align, eval, demo, study or mix output folder, or a results.json; repeat for each run",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var outPath = new Option<string>("--out") { Description = "The HTML file to write", Required = true };
        var command = new Command("report", "Write one self-contained HTML page to judge runs by");
        foreach (var o in new Option[] { runs, outPath }) command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string path = result.GetValue(outPath)!;
            OutputPath.CheckFile(path, "report.html");
            HtmlReport.Write(result.GetValue(runs)!, path);
            CliOutput.Log($"wrote {path}");
            return 0;
        }));
        return command;
    }
}
