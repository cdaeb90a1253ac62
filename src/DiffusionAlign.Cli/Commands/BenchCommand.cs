using System.CommandLine;
using DiffusionAlign.Benchmarks;

namespace DiffusionAlign.Cli.Commands;

/// <summary><c>dalign bench</c>: alignment-step and sampling throughput against the machine's GEMM ceiling.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var defaults = new BenchmarkConfig();
        var outPath = new Option<string>("--out") { Description = "bench.json path", DefaultValueFactory = _ => "bench.json" };
        var pairs = new Option<int>("--pairs") { Description = "Pairs per training step", DefaultValueFactory = _ => defaults.PairsPerStep };
        var steps = new Option<int>("--timed-steps") { Description = "Timed training steps per method", DefaultValueFactory = _ => defaults.TimedSteps };
        var threads = CommonOptions.Threads();
        var command = new Command("bench", "Benchmark alignment steps (DSPO, DPO) and sampling at the demo's size; writes bench.json");
        foreach (var o in new Option[] { outPath, pairs, steps, threads }) command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            int? n = result.GetValue(threads);
            if (n is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {n}");
            Runtime.ComputeDevice.ConfigureThreads(n);
            var config = defaults with { PairsPerStep = result.GetValue(pairs), TimedSteps = result.GetValue(steps) };
            if (config.PairsPerStep < 1 || config.TimedSteps < 1) throw new DiffusionAlignException("--pairs and --timed-steps must be at least 1");
            var results = AlignmentBenchmark.Run(config, Console.WriteLine);
            string path = result.GetValue(outPath)!;
            results.Save(path);
            Console.WriteLine($"peak RSS {results.PeakRssMiB:F0} MiB; wrote {path}");
            return 0;
        }));
        return command;
    }
}
