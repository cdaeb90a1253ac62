using DiffusionAlign.Benchmarks;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Benchmarks;

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
            int changed = 0;
            if (off.Execution.Reference != fast.Execution.Reference) changed++;
            if (off.Execution.BatchWinnersAndLosers != fast.Execution.BatchWinnersAndLosers) changed++;
            if (off.Kernel != fast.Kernel) changed++;
            if (off.ChannelsLast != fast.ChannelsLast) changed++;
            if (off.SyncEveryStep != fast.SyncEveryStep) changed++;
            if (off.Threads != fast.Threads) changed++;
            if (off.Malloc != fast.Malloc) changed++;
            Assert.True(changed == 1, $"lever {name} changes {changed} settings");
        }
    }

    [Fact]
    public void ScalingPlotWritesTwoPanelsSideBySide()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "sub", "scaling.png");
        var points = new List<ScalingPoint>();
        foreach (int size in new[] { 16, 32 })
            foreach (int pairs in new[] { 4, 16 })
                points.Add(new ScalingPoint(size, pairs, 0.1 * size, 0.01 * size * pairs, 50 + pairs, (50 + pairs) / 200.0, 300, 100));

        ScalingPlot.Save(path, points, gemm: 200, panelWidth: 320, height: 240);

        var image = ImageCodec.Load(path);
        Assert.Equal((640, 240), (image.Width, image.Height));
    }
}
