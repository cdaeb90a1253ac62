using System.Text.Json.Nodes;
using DiffusionAlign.Bench;
using DiffusionAlign.Bench.StableDiffusion;
using DiffusionAlign.Tests;

namespace DiffusionAlign.Bench.Tests;

public sealed class BenchJsonTests
{
    private const string Existing = """
        {
          "gemm_gflops_per_second": 195.25,
          "sd15": { "old": true },
          "training": [ { "method": "dspo", "step_seconds": 0.123456789012345 } ]
        }
        """;

    [Fact]
    public void ASectionReplacesItsOwnKeyAndKeepsEveryOtherInPlace()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "bench.json");
        File.WriteAllText(path, Existing);

        BenchJson.WriteSection(path, StableDiffusionResults.Key, new JsonObject { ["new"] = 1 });

        var before = JsonNode.Parse(Existing)!.AsObject();
        var after = BenchJson.Read(path);
        Assert.Equal(["gemm_gflops_per_second", "sd15", "training"], after.Select(kv => kv.Key));
        Assert.True(JsonNode.DeepEquals(before["training"], after["training"]));
        Assert.Equal(0.123456789012345, after["training"]![0]!["step_seconds"]!.GetValue<double>());
        Assert.Equal(1, after["sd15"]!["new"]!.GetValue<int>());
        Assert.Null(after["sd15"]!["old"]);
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // no temporary left behind
    }

    [Fact]
    public void AMissingFileIsCreatedWithTheSectionAlone()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "sub", "bench.json");

        BenchJson.WriteSection(path, "sd15", new JsonObject { ["cases"] = new JsonArray() });

        Assert.Equal(["sd15"], BenchJson.Read(path).Select(kv => kv.Key));
    }

    [Fact]
    public void AFileThatIsNotAJsonObjectIsLeftAsItIs()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "bench.json");
        File.WriteAllText(path, "[1, 2");

        var error = Assert.Throws<DiffusionAlignException>(() =>
            BenchJson.WriteSection(path, "sd15", new JsonObject()));
        Assert.Contains("not valid JSON", error.Message);
        Assert.Equal("[1, 2", File.ReadAllText(path));
    }

    [Fact]
    public void TheMainRunKeepsTheStableDiffusionSectionAndDropsWhatItNoLongerWrites()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "bench.json");
        File.WriteAllText(path, """{ "sd15": { "cases": [ { "case": "align_fp32" } ] }, "stale": 1 }""");

        new BenchmarkResults { GemmGflopsPerSecond = 200 }.Save(path);

        var saved = BenchJson.Read(path);
        Assert.Equal(200, saved["gemm_gflops_per_second"]!.GetValue<double>());
        Assert.Equal("align_fp32", saved["sd15"]!["cases"]![0]!["case"]!.GetValue<string>());
        Assert.False(saved.ContainsKey("stale"));
        Assert.Equal("sd15", saved.Last().Key);
    }
}
