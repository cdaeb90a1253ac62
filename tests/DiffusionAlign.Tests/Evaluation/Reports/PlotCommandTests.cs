using System.Text.Json.Nodes;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Tests.Cli;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>
/// <c>dalign plot</c>: a PNG and the plotted points, each from the results (pooled groups by their pooled rate,
/// clustered intervals where recorded, else Wilson); mistakes are one line.
/// </summary>
[Collection("Console")]
public sealed class PlotCommandTests : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    /// <summary>Two single models (one with a clustered interval) and a pooled group "online".</summary>
    private string Results()
    {
        var results = FakeRuns.Results() with
        {
            WinRate = new()
            {
                ["off-16"] = new WinRateEntry("base", 0.55, 0.45, 0.65, 96, 50, 6, 40),
                ["off-32"] = new WinRateEntry("base", 0.60, 0.50, 0.69, 96, 55, 5, 36)
                {
                    ClusteredCiLow = 0.41, ClusteredCiHigh = 0.77,
                },
                ["online#1"] = new WinRateEntry("base", 0.70, 0.60, 0.78, 96, 65, 4, 27),
                ["online#2"] = new WinRateEntry("base", 0.66, 0.56, 0.75, 96, 61, 5, 30),
            },
            Pooled = new()
            {
                ["online"] = new PooledReplicates(["online#1", "online#2"],
                    new ModelScores(0.45, 0.44, 0.46, 0.6, 192),
                    new WinRateEntry("base", 0.68, 0.61, 0.74, 192, 126, 9, 57)
                    {
                        ClusteredCiLow = 0.52, ClusteredCiHigh = 0.81, Replicates = 2,
                    },
                    new Dictionary<string, ReplicateSpread> { ["win_rate"] = new(0.68, 0.028, 0.66, 0.70) }),
            },
        };
        string path = Path.Combine(_dir.Path, "results.json");
        results.Save(path);
        return path;
    }

    private string Png => Path.Combine(_dir.Path, "curve.png");

    [Fact]
    public void WritesAPngAndThePointsOfEachSeriesAsTheResultsHaveThem()
    {
        var run = CliRunner.Run("plot", "--results", Results(), "--series", "offline=off-32@32,off-16@16",
            "--series", "online=online@16", "--x-label", "gold labels", "--out", Png, "--json");
        Assert.True(run.Exit == 0, run.Err);
        var bytes = File.ReadAllBytes(Png);
        Assert.True(bytes.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);

        var json = JsonNode.Parse(run.Out)!;
        Assert.Equal("base", (string?)json["baseline"]);
        var offline = json["series"]![0]!;
        Assert.Equal("offline", (string?)offline["series"]);
        var points = offline["points"]!.AsArray();
        // In increasing x; a Wilson interval where no clustered one is recorded.
        Assert.Equal(["off-16", "off-32"], points.Select(p => (string?)p!["model"]));
        Assert.Equal((16.0, 0.55, 0.45, 0.65, "wilson"), ((double)points[0]!["x"]!, (double)points[0]!["rate"]!,
            (double)points[0]!["low"]!, (double)points[0]!["high"]!, (string?)points[0]!["interval"]));
        Assert.Equal((0.60, 0.41, 0.77, "clustered"), ((double)points[1]!["rate"]!, (double)points[1]!["low"]!,
            (double)points[1]!["high"]!, (string?)points[1]!["interval"]));
        var online = json["series"]![1]!["points"]![0]!;
        Assert.Equal((0.68, 0.52, 0.81, 2), ((double)online["rate"]!, (double)online["low"]!,
            (double)online["high"]!, (int)online["pooled_replicates"]!));
    }

    [Fact]
    public void WithoutJsonThePointsAreATableOnStdout()
    {
        var run = CliRunner.Run("plot", "--results", Results(), "--series", "online=online@16,off-16@48",
            "--out", Png);
        Assert.True(run.Exit == 0, run.Err);
        var row = Assert.Single(run.Out.Split('\n'), l => l.Contains("online") && l.Contains("0.680"));
        Assert.Contains("0.520", row);
        Assert.Contains("0.810", row);
        Assert.Contains("2 replicates pooled", row);
        Assert.Contains($"wrote {Png}", run.Err);
    }

    [Theory]
    [InlineData("online", "--series expects NAME=MODEL@X")]
    [InlineData("online=", "--series expects NAME=MODEL@X")]
    [InlineData("online=online", "has no MODEL@X")]
    [InlineData("online=online@16,", "has no MODEL@X")]
    [InlineData("online=online@lots", "is not a number")]
    [InlineData("online=nobody@16", "model 'nobody' has no win rate in the results")]
    [InlineData("online=base@16", "'base' is the baseline")]
    public void ABadSeriesIsOneLine(string series, string message) =>
        CliAssert.OneLineError(CliRunner.Run("plot", "--results", Results(), "--series", series, "--out", Png),
            message);

    [Fact]
    public void AResultsFileThatIsNotAnEvaluationsIsOneLine()
    {
        string other = Path.Combine(_dir.Path, "mix.json");
        File.WriteAllText(other, """{ "weights": { "a": 0.5 } }""");
        CliAssert.OneLineError(CliRunner.Run("plot", "--results", other, "--series", "a=x@1", "--out", Png),
            "is not an evaluation's results.json");
        File.WriteAllText(other, "not json");
        CliAssert.OneLineError(CliRunner.Run("plot", "--results", other, "--series", "a=x@1", "--out", Png),
            "is not an evaluation's results.json");
        CliAssert.OneLineError(CliRunner.Run("plot", "--results", Path.Combine(_dir.Path, "none.json"),
            "--series", "a=x@1", "--out", Png), "results file not found");
        CliAssert.OneLineError(CliRunner.Run("plot", "--results", Results(), "--series", "a=online@1",
            "--series", "a=off-16@2", "--out", Png), "series name 'a' given twice");
        Assert.False(File.Exists(Png));
    }

    public void Dispose() => _dir.Dispose();
}
