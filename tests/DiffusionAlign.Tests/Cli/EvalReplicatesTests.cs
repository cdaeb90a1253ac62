using System.Text.Json.Nodes;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// <c>dalign eval</c> with a model name given more than once: the replicates as models NAME#k, the pooled group
/// in results.json and the tables, and <c>dalign plot</c> reading the pooled rate back.
/// </summary>
[Collection("Console")]
public sealed class EvalReplicatesTests : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    private string Model(string name, long seed)
    {
        string dir = Path.Combine(_dir.Path, name);
        using var model = TestModels.Micro(seed);
        model.Save(dir);
        return dir;
    }

    private static string[] Eval(string results, params string[] models) =>
    [
        "eval", .. models.SelectMany(m => new[] { "--model", m }), "--baseline", "base", "--prompts", "2",
        "--seeds", "2", "--steps", "2", "--threads", "1", "--out", results,
    ];

    [Fact]
    public void ReplicatesAreModelsOfTheirOwnAndTheGroupIsPooledInResultsTablesAndPlot()
    {
        string baseDir = Model("base", 1), r1 = Model("r1", 2), r2 = Model("r2", 3);
        string results = Path.Combine(_dir.Path, "r.json");
        var run = CliRunner.Run(Eval(results, $"base={baseDir}", $"online={r1}", $"online={r2}"));
        Assert.True(run.Exit == 0, run.Err);

        var json = JsonNode.Parse(File.ReadAllText(results))!;
        Assert.Equal(["base", "online#1", "online#2"], json["models"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(r2, (string?)json["model_folders"]!["online#2"]);
        var pooled = json["pooled"]!["online"]!;
        Assert.Equal(["online#1", "online#2"], pooled["replicates"]!.AsArray().Select(n => (string?)n));
        var win = pooled["win_rate"]!;
        int wins = 0, ties = 0;
        foreach (var name in new[] { "online#1", "online#2" })
        {
            wins += (int)json["win_rate"]![name]!["wins"]!;
            ties += (int)json["win_rate"]![name]!["ties"]!;
        }
        Assert.Equal(8, (int)win["n"]!);
        Assert.Equal((wins + ties / 2.0) / 8, (double)win["rate"]!, 12);
        Assert.Equal(2, (int)win["replicates"]!);
        foreach (var key in new[] { "win_rate", "mean_reward", "judge_win_rate" })
            foreach (var stat in new[] { "mean", "sd", "min", "max" })
                Assert.NotNull(pooled["across_replicates"]![key]![stat]);

        // The tables: the pooled rows after the replicates, and the spread across them.
        Assert.Contains("online (pooled, 2 replicates)", run.Out);
        Assert.Contains("online (pooled, 2 replicates) vs base", run.Out);
        Assert.Contains("across training replicates", run.Out);

        // The plot reads the group's pooled rate and its clustered interval.
        string png = Path.Combine(_dir.Path, "curve.png");
        var plot = CliRunner.Run("plot", "--results", results, "--series", "online=online@16",
            "--series", "single=online#1@16", "--out", png, "--json");
        Assert.True(plot.Exit == 0, plot.Err);
        var points = JsonNode.Parse(plot.Out)!["series"]!.AsArray();
        var point = points[0]!["points"]![0]!;
        Assert.Equal((double)win["rate"]!, (double)point["rate"]!, 12);
        Assert.Equal((double)win["clustered_ci_low"]!, (double)point["low"]!, 12);
        Assert.Equal(2, (int)point["pooled_replicates"]!);
        Assert.Equal((double)json["win_rate"]!["online#1"]!["rate"]!, (double)points[1]!["points"]![0]!["rate"]!,
            12);
    }

    [Fact]
    public void ARepeatedBaselineIsOneLine()
    {
        string m = Model("m", 1);
        var run = CliRunner.Run(Eval(Path.Combine(_dir.Path, "r.json"), $"base={m}", $"base={m}", $"x={m}"));
        CliAssert.OneLineError(run, "the baseline 'base' is given 2 times; give it once");
    }

    public void Dispose() => _dir.Dispose();
}
