using System.Globalization;
using DiffusionAlign.Mixing;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DiffusionAlign.Cli;

/// <summary>
/// Prints <c>dalign mix</c>'s results: the chosen weights, then one row per policy or mixture with each reward's mean
/// and 95% t interval and the worst reward. Redirected, each row stays on one line (<see cref="TableConsole"/>).
/// </summary>
public static class MixTable
{
    public static void Print(MixResults results) => Print(results, Console.Out, Console.IsOutputRedirected);

    public static void Print(MixResults results, TextWriter writer, bool redirected)
    {
        var console = TableConsole.Create(writer, redirected);
        writer.WriteLine($"mixture weights ({results.WeightsSource}): " + string.Join(", ",
            results.Weights.Select(kv => $"{kv.Key} {kv.Value.ToString("F3", CultureInfo.InvariantCulture)}")));
        var settings = results.Settings;
        var table = new Table().Title(Markup.Escape(
            $"mean rewards on {settings.GetValueOrDefault("prompts")} {settings.GetValueOrDefault("prompt_set")} "
            + $"prompts × {settings.GetValueOrDefault("seeds")} noises (95% t interval)"));
        Columns(table, ["candidate", "weights", .. results.Rewards, "worst"]);
        foreach (var c in results.Candidates.Concat(results.Comparisons))
        {
            var cells = new List<string>
            {
                c.Name,
                c.Weights.Count == 0 ? "(compared)" : string.Join(" / ",
                    c.Weights.Values.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture))),
            };
            foreach (var reward in results.Rewards)
            {
                var r = c.Rewards[reward];
                cells.Add($"{r.Mean.ToString("F4", CultureInfo.InvariantCulture)} "
                    + $"[{r.CiLow.ToString("F4", CultureInfo.InvariantCulture)}, "
                    + $"{r.CiHigh.ToString("F4", CultureInfo.InvariantCulture)}]");
            }
            cells.Add($"{c.WorstReward} {c.WorstMean.ToString("F4", CultureInfo.InvariantCulture)}");
            table.AddRow(cells.Select(cell => (IRenderable)new Spectre.Console.Text(cell)).ToArray());
        }
        console.Write(table);
    }

    private static void Columns(Table table, IEnumerable<string> headers)
    {
        foreach (var h in headers) table.AddColumn(new TableColumn(new Spectre.Console.Text(h)));
    }
}
