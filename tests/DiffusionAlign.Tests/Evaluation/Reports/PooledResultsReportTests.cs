using System.Globalization;
using DiffusionAlign.Cli;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Evaluation.Reports;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>A results.json with a replicate group: the report and the eval tables show the pooled rows.</summary>
public sealed class PooledResultsReportTests
{
    private static EvaluationResults WithGroup() => FakeRuns.Results() with
    {
        Models = new()
        {
            ["base"] = new ModelScores(0.3512, 0.3401, 0.3623, 0.5, 96),
            ["online#1"] = new ModelScores(0.4123, 0.4000, 0.4250, 0.61, 96),
            ["online#2"] = new ModelScores(0.4301, 0.4190, 0.4412, 0.63, 96),
        },
        WinRate = new()
        {
            ["online#1"] = new WinRateEntry("base", 0.625, 0.521, 0.719, 96, 58, 4, 34),
            ["online#2"] = new WinRateEntry("base", 0.6771, 0.578, 0.762, 96, 63, 4, 29),
        },
        HeadToHead = new(),
        RankingAccuracy = new(),
        ImplicitRewardAccuracy = new(),
        Pooled = new()
        {
            ["online"] = new PooledReplicates(["online#1", "online#2"],
                new ModelScores(0.4212, 0.4131, 0.4293, 0.62, 192)
                {
                    ClusteredCiLow = 0.3987, ClusteredCiHigh = 0.4456,
                },
                new WinRateEntry("base", 0.6510, 0.5811, 0.7151, 192, 121, 8, 63)
                {
                    ClusteredCiLow = 0.5432, ClusteredCiHigh = 0.7654, Replicates = 2,
                },
                new Dictionary<string, ReplicateSpread>
                {
                    ["win_rate"] = new(0.6510, 0.0368, 0.625, 0.6771),
                    ["mean_reward"] = new(0.4212, 0.0126, 0.4123, 0.4301),
                }),
        },
    };

    [Fact]
    public void TheReportShowsThePooledRowAfterTheReplicatesAndTheSpreadAcrossThem()
    {
        using var dir = new TestModels.TempDir();
        WithGroup().Save(Path.Combine(dir.Path, "results.json"));
        string html = HtmlReport.Build([dir.Path], new DateTime(2025, 3, 4, 5, 6, 0, DateTimeKind.Utc));

        int first = html.IndexOf("<td>online#2</td>", StringComparison.Ordinal);
        int pooled = html.IndexOf("<td>online (pooled, 2 replicates)</td>", StringComparison.Ordinal);
        Assert.True(first > 0 && pooled > first, "the pooled row follows the last replicate");
        Assert.Contains("0.651 [0.581, 0.715]", html); // pooled win rate with its Wilson interval
        Assert.Contains("[0.543, 0.765]", html); // and its clustered one
        Assert.Contains("0.651 &#177; 0.037 [0.625, 0.677]", html);
        Assert.Contains("0.4212 &#177; 0.0126 [0.4123, 0.4301]", html);
        Assert.DoesNotContain("<h4>pooled</h4>", html); // not also dumped as an unknown section
    }

    [Fact]
    public void TheEvalTablesShowThePooledRows()
    {
        using var writer = new StringWriter();
        ResultsTable.Print(WithGroup(), writer, redirected: true);
        var lines = writer.ToString().Split('\n');
        var model = Assert.Single(lines, l => l.Contains("online (pooled, 2 replicates) ") && l.Contains("0.4212"));
        Assert.Contains("[0.3987, 0.4456]", model);
        var comparison = Assert.Single(lines, l => l.Contains("online (pooled, 2 replicates) vs base"));
        Assert.Contains("0.651", comparison);
        Assert.Contains("[0.543, 0.765]", comparison);
        Assert.Contains("121 / 8 / 63", comparison);
        var spread = Assert.Single(lines, l => l.Contains("online#1, online#2"));
        Assert.Contains("0.651 ± 0.037 [0.625, 0.677]", spread);
        Assert.Contains(0.4212.ToString("F4", CultureInfo.InvariantCulture) + " ± 0.0126", spread);
    }
}
