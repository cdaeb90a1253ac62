using System.Text.Json;
using DiffusionAlign.Distributed;
using DiffusionAlign.Tests;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Bench.Tests;

/// <summary>
/// <c>dalign bench --mpi</c>'s measurement, alone (mpirun runs it in DiffusionAlign.Tests' DataParallelBenchTests), and
/// how layouts measured by separate launches are merged and compared.
/// </summary>
public sealed class DataParallelBenchmarkTests
{
    [Fact]
    public void AloneEveryCaseIsTimedAndItsAllReduceMovesNothing()
    {
        var config = new DataParallelBenchConfig
        {
            GlobalPairs = [1, 2], WarmupSteps = 1, TimedSteps = 2, Model = TestModels.MicroConfig(new ShapesWorld()),
        };
        var result = DataParallelBenchmark.Run(SingleProcessCommunicator.Instance, config);

        Assert.Equal("1x" + TorchSharp.torch.get_num_threads(), result.Layout);
        Assert.Equal([1, 2], result.Cases.Select(c => c.GlobalPairs));
        using var model = TestModels.Micro();
        long unet = model.Unet.parameters().Sum(p => p.numel()); // a full fine-tune trains the UNet
        Assert.Equal(unet, result.Parameters);
        foreach (var c in result.Cases)
        {
            Assert.Equal(c.GlobalPairs, c.PairsPerRank);
            Assert.Equal(4 * unet, c.AllReduceBytes);
            Assert.Equal(0, c.RingBytesPerProcess);
            Assert.True(c.ComputeSeconds > 0 && c.StepSeconds >= c.ComputeSeconds, $"{c}");
            Assert.Equal(c.ComputeSeconds, c.SlowestComputeSeconds);
            Assert.Equal(c.GlobalPairs / c.StepSeconds, c.PairsPerSecond, 9);
        }
    }

    [Fact]
    public void ARingSendsTwiceTheBufferTimesNMinusOneOverN()
    {
        Assert.Equal(0, DataParallelBenchmark.RingBytesPerProcess(1000, 1));
        Assert.Equal(1000, DataParallelBenchmark.RingBytesPerProcess(1000, 2));
        Assert.Equal(1500, DataParallelBenchmark.RingBytesPerProcess(1000, 4));
    }

    [Fact]
    public void EachLayoutIsKeptAndComparedWithOneProcessOnAsManyCores()
    {
        var oneByTwo = Layout(1, 2, (8, 10.0), (64, 20.0));
        var twoByOne = Layout(2, 1, (8, 12.0), (64, 15.0));
        var fourByOne = Layout(4, 1, (8, 30.0)); // no 1x4 measured: nothing to compare it with
        var section = DataParallelResults.Merge(null, twoByOne);
        Assert.Empty(section["scaling"]!.AsArray());
        section = DataParallelResults.Merge(DataParallelResults.Merge(section, fourByOne), oneByTwo);

        Assert.Equal(["2x1", "4x1", "1x2"], section["layouts"]!.AsObject().Select(kv => kv.Key));
        var scaling = section["scaling"].Deserialize<List<ScalingEfficiency>>()!;
        Assert.Equal(2, scaling.Count);
        Assert.All(scaling, s => Assert.Equal(("2x1", "1x2"), (s.Layout, s.Against)));
        Assert.Equal(1.2, scaling.Single(s => s.GlobalPairs == 8).Efficiency, 12);
        Assert.Equal(0.75, scaling.Single(s => s.GlobalPairs == 64).Efficiency, 12);

        // A new run of a layout replaces its old one.
        section = DataParallelResults.Merge(section, Layout(1, 2, (8, 24.0), (64, 20.0)));
        Assert.Equal(3, section["layouts"]!.AsObject().Count);
        Assert.Equal(0.5, section["scaling"].Deserialize<List<ScalingEfficiency>>()!
            .Single(s => s.GlobalPairs == 8).Efficiency, 12);
    }

    private static DataParallelLayoutResult Layout(int processes, int threads,
        params (int Pairs, double PairsPerSecond)[] cases) =>
        new(processes, threads, 2, DataParallelBenchmark.Method, 32, 1000, 1, 1,
            [.. cases.Select(c => new DataParallelCaseTiming(c.Pairs, c.Pairs / processes, c.Pairs / c.PairsPerSecond,
                c.PairsPerSecond, 0.1, 0.1, 0, 0, 0, 4000, 0, 0, 1000))],
            "2025-01-01T00:00:00Z");
}
