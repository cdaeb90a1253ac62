using System.Reflection;
using DiffusionAlign.Bench;
using DiffusionAlign.Imaging;
using DiffusionAlign.Tests;

namespace DiffusionAlign.Bench.Tests;

public sealed class LeverBenchmarkTests
{
    [Fact]
    public void EachLeverTurnsOffExactlyOneSettingOfTheFastStep()
    {
        var fast = StepLevers.Fast;
        var levers = LeverBenchmark.Levers(fast);

        Assert.Equal(levers.Count, levers.Select(l => l.Name).Distinct().Count());
        foreach (var (name, _, off) in levers)
        {
            // Every setting by reflection (the execution record's own settings one by one), so a
            // new lever setting is covered without editing this test.
            int changed = Settings(off).Zip(Settings(fast)).Count(p => !Equals(p.First, p.Second));
            Assert.True(changed == 1, $"lever {name} changes {changed} settings");
        }
    }

    private static IEnumerable<object?> Settings(StepLevers levers) =>
        typeof(StepLevers).GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name)
            .SelectMany(p => p.PropertyType == typeof(StepExecution)
                ? typeof(StepExecution).GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(q => q.Name)
                    .Select(q => q.GetValue(p.GetValue(levers)))
                : [p.GetValue(levers)]);

    [Fact]
    public void ScalingPlotWritesTwoPanelsSideBySide()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "sub", "scaling.png");
        var points = new List<ScalingPoint>();
        foreach (int size in new[] { 16, 32 })
            foreach (int pairs in new[] { 4, 16 })
                points.Add(new ScalingPoint(size, pairs, 0.1 * size, 0.01 * size * pairs, 50 + pairs,
                    (50 + pairs) / 200.0, 300, 100));

        ScalingPlot.Save(path, points, gemm: 200, panelWidth: 320, height: 240);

        var image = ImageCodec.Load(path);
        Assert.Equal((640, 240), (image.Width, image.Height));
    }
}

public sealed class AllocatorTimingJsonTests
{
    [Fact]
    public void TimingsSurviveTheChildProcessesJson()
    {
        // dalign bench reads the allocator section's timings back from its child process's JSON.
        var timings = new List<AllocatorTiming>
        {
            new("glibc_default", 32, 8, 0.2, 480.5),
            new("ReuseFreedMemory", 64, 64, 7.5, null)
        };
        string json = System.Text.Json.JsonSerializer.Serialize(timings);
        Assert.Contains("\"step_seconds\":7.5", json);
        var back = System.Text.Json.JsonSerializer.Deserialize<List<AllocatorTiming>>(json);
        Assert.Equal(timings, back);
    }
}
