using DiffusionAlign.Evaluation;
using Spectre.Console;

namespace DiffusionAlign.Cli;

/// <summary>Prints evaluation results as a table (plain text when output is redirected).</summary>
public static class ResultsTable
{
    public static void Print(EvaluationResults results)
    {
        if (results.Models.Count == 0)
        {
            PrintRanking(results);
            return;
        }
        var table = new Table().Title($"vs {Markup.Escape(results.Baseline)} on held-out prompts");
        foreach (var h in new[] { "model", "mean reward (95% CI)", "colour right", "win rate vs base (95% CI)", "n",
                "ranking acc", "implicit-reward acc" })
            table.AddColumn(new TableColumn(new Spectre.Console.Text(h)));
        foreach (var (name, s) in results.Models)
        {
            string win = results.WinRate.TryGetValue(name, out var w)
                ? $"{w.Rate:F3} [{w.CiLow:F3}, {w.CiHigh:F3}]"
                : "—";
            string rank = results.RankingAccuracy.TryGetValue(name, out var r) ? $"{r:F3}" : "—";
            string imp = results.ImplicitRewardAccuracy.TryGetValue(name, out var i) ? $"{i:F3}" : "—";
            // Cells are Spectre markup: the interval brackets must be escaped.
            table.AddRow(new[] { name, $"{s.MeanReward:F4} [{s.MeanRewardCiLow:F4}, {s.MeanRewardCiHigh:F4}]",
                    $"{s.ColourAccuracy:P0}", win, s.N.ToString(), rank, imp }
                .Select(cell => (Spectre.Console.Rendering.IRenderable)new Spectre.Console.Text(cell)).ToArray());
        }
        AnsiConsole.Write(table);
        Console.WriteLine($"mean reward of uniform-noise images for the same prompts: {results.NoiseImageReward:F4}");
        foreach (var (key, w) in results.HeadToHead)
            Console.WriteLine($"head to head {key}: {w.Rate:F3} [{w.CiLow:F3}, {w.CiHigh:F3}] over n={w.N}");
        if (results.IdealizedRankingAccuracy is double ideal)
            Console.WriteLine($"idealized ranking accuracy "
                + $"(exact DPO optimum at β={results.Settings.GetValueOrDefault("beta")}): {ideal:F3}");
        if (results.LabelRewardAgreement is double agree)
            Console.WriteLine($"held-out labels agree with the true reward order on {agree:P1} "
                + $"of {results.HeldOutPairs} pairs");
    }

    /// <summary>Ranking accuracies alone (models without a reward to sample against).</summary>
    private static void PrintRanking(EvaluationResults results)
    {
        var table = new Table().Title($"ranking {results.HeldOutPairs} held-out pairs, vs {results.Baseline}");
        foreach (var h in new[] { "model", "ranking acc", "implicit-reward acc" })
            table.AddColumn(new TableColumn(new Spectre.Console.Text(h)));
        foreach (var (name, r) in results.RankingAccuracy)
        {
            string imp = results.ImplicitRewardAccuracy.TryGetValue(name, out var i) ? $"{i:F3}" : "—";
            table.AddRow(new Spectre.Console.Text(name), new Spectre.Console.Text($"{r:F3}"),
                new Spectre.Console.Text(imp));
        }
        AnsiConsole.Write(table);
    }
}
