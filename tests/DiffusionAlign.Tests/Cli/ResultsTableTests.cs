// Tests that results tables printed to a file or pipe keep each row on one line, whatever their width.
using System.Globalization;
using DiffusionAlign.Cli;
using DiffusionAlign.Tests.Evaluation.Reports;

namespace DiffusionAlign.Tests.Cli;

public sealed class ResultsTableTests
{
    private static List<string> Printed(bool redirected)
    {
        using var writer = new StringWriter();
        ResultsTable.Print(FakeRuns.Results(), writer, redirected);
        return [.. writer.ToString().Split('\n').Select(l => l.TrimEnd('\r'))];
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    [Fact]
    public void RedirectedTablesWiderThanEightyColumnsKeepOneLinePerRow()
    {
        var lines = Printed(redirected: true);
        string all = string.Join('\n', lines);
        Assert.True(lines.Max(l => l.Length) > 80, $"the model table is wider than 80 columns:\n{all}");

        var results = FakeRuns.Results();
        foreach (var (name, s) in results.Models)
        {
            // The whole row, from the name to its last cell, on one line.
            string interval = $"[{F(s.MeanRewardCiLow, "F4")}, {F(s.MeanRewardCiHigh, "F4")}]";
            var row = Assert.Single(lines, l => l.Contains($" {name} ") && l.Contains(F(s.MeanReward, "F4")));
            Assert.Contains(interval, row);
            Assert.Contains(results.RankingAccuracy[name].ToString("F3", CultureInfo.InvariantCulture), row);
        }
        foreach (var (model, w) in results.WinRate)
        {
            var row = Assert.Single(lines, l => l.Contains($"{model} vs {w.Vs}"));
            Assert.Contains($"[{F(w.CiLow, "F3")}, {F(w.CiHigh, "F3")}]", row);
            Assert.Contains($"{w.Wins} / {w.Ties} / {w.Losses}", row);
        }
        Assert.DoesNotContain('\u001b', all); // No colour codes in a file.
    }

    [Fact]
    public void AnEightyColumnConsoleWouldWrapTheSameRows()
    {
        // What Spectre does for a writer that is not the terminal unless told its width: the test above would fail.
        var lines = Printed(redirected: false);
        Assert.All(lines.Where(l => l.StartsWith('│')), l => Assert.True(l.Length <= 80, l));
        var s = FakeRuns.Results().Models["base"];
        Assert.DoesNotContain(lines, l => l.Contains(" base ") && l.Contains(F(s.MeanReward, "F4"))
            && l.Contains($"[{F(s.MeanRewardCiLow, "F4")}, {F(s.MeanRewardCiHigh, "F4")}]"));
    }
}
