using System.CommandLine;
using System.Text.Json;
using DiffusionAlign.Bench;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Runtime;

namespace DiffusionAlign.Cli.Commands;

/// <summary><c>dalign bench</c>: alignment-step and sampling throughput against the machine's GEMM ceiling.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var defaults = new BenchmarkConfig();
        var outPath = new Option<string>("--out")
        {
            Description = "bench.json path", DefaultValueFactory = _ => "bench.json",
        };
        var plot = new Option<string?>("--plot")
        {
            Description = "Scaling-sweep plot (PNG); default: scaling.png beside --out",
        };
        var pairs = new Option<int>("--pairs")
        {
            Description = "Pairs per training step", DefaultValueFactory = _ => defaults.PairsPerStep,
        };
        var steps = new Option<int>("--timed-steps")
        {
            Description = "Timed training steps per method", DefaultValueFactory = _ => defaults.TimedSteps,
        };
        var noLevers = new Option<bool>("--skip-levers")
        {
            Description = "Do not measure each lever on and off (nor the malloc modes)",
        };
        var noSweep = new Option<bool>("--skip-sweep") { Description = "Do not run the image size × batch sweep" };
        var noPeer = new Option<bool>("--skip-peer")
        {
            Description = "Do not run the PyTorch peer (bench/peer/peer_step.py) even if python3-torch is installed",
        };
        var threads = CommonOptions.Threads();
        // Internal: the allocator section, run by `dalign bench` in a fresh process of its own.
        var allocatorOnly = new Option<string?>("--allocator-only")
        {
            Description = "Run only the malloc-mode section and write its timings (JSON) to this file",
            Hidden = true,
        };
        var command = new Command("bench",
            "Benchmark alignment steps (DSPO, DPO) and sampling at the demo's size against the machine's GEMM "
            + "throughput; writes bench.json and a scaling plot");
        foreach (var o in new Option[]
                 {
                     outPath, plot, pairs, steps, noLevers, noSweep, noPeer, threads, allocatorOnly,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            int? n = result.GetValue(threads);
            if (n is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {n}");
            ComputeDevice.ConfigureThreads(n);
            NativeAllocator.DalignDefault(); // a bad DALIGN_MALLOC fails now, not after the allocator section
            string path = result.GetValue(outPath)!;
            string plotPath = result.GetValue(plot)
                ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "scaling.png");
            var config = defaults with
            {
                PairsPerStep = result.GetValue(pairs),
                TimedSteps = result.GetValue(steps),
                Levers = !result.GetValue(noLevers),
                Allocator = !result.GetValue(noLevers),
                Peer = !result.GetValue(noPeer),
                SweepSizes = result.GetValue(noSweep) ? [] : defaults.SweepSizes,
                SweepPlotPath = plotPath,
            };
            if (config.PairsPerStep < 1 || config.TimedSteps < 1)
                throw new DiffusionAlignException("--pairs and --timed-steps must be at least 1");
            if (result.GetValue(allocatorOnly) is string allocatorPath)
            {
                var timings = AllocatorBenchmark.RunStandalone(config, Console.WriteLine);
                File.WriteAllText(allocatorPath, JsonSerializer.Serialize(timings));
                return 0;
            }
            config = config with { AllocatorInChildProcess = log => ChildProcessAllocator(log, config, n) };
            var results = AlignmentBenchmark.Run(config, Console.WriteLine);
            results.Save(path);
            foreach (var t in results.Targets)
            {
                string verdict = t.Met ? "met" : $"MISSED by {t.Shortfall:F3}";
                Console.WriteLine(
                    $"target {t.Target} {t.Comparison} {t.Threshold}: {t.Measured:F3} {verdict} ({t.WhereItGoes})");
            }
            Console.WriteLine($"peak RSS {results.PeakRssMiB:F0} MiB; wrote {path}");
            return 0;
        }));
        return command;
    }

    /// <summary>Runs <c>dalign bench --allocator-only</c> as a child process and reads its timings.</summary>
    private static IReadOnlyList<AllocatorTiming> ChildProcessAllocator(Action<string>? log, BenchmarkConfig config,
        int? threads)
    {
        string output = Path.Combine(Path.GetTempPath(), $"dalign-allocator-{Environment.ProcessId}.json");
        string self = Environment.ProcessPath
            ?? throw new DiffusionAlignException("cannot find this executable to run the allocator section");
        var args = new List<string>();
        // Under `dotnet dalign.dll` the process is the dotnet host, which needs the entry assembly.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") args.Add(typeof(BenchCommand).Assembly.Location);
        args.AddRange(["bench", "--allocator-only", output, "--pairs", config.PairsPerStep.ToString(),
            "--timed-steps", config.TimedSteps.ToString()]);
        if (threads is int t) args.AddRange(["--threads", t.ToString()]);
        log?.Invoke("malloc modes, in a fresh process (glibc's defaults first):");
        var child = ChildProcess.Run(self, args, onStdoutLine: line =>
        {
            if (!line.StartsWith("malloc modes", StringComparison.Ordinal)) log?.Invoke(line);
        }) ?? throw new DiffusionAlignException("could not start the allocator section's process");
        try
        {
            if (child.ExitCode != 0 || !File.Exists(output))
                throw new DiffusionAlignException(
                    $"the allocator section's process failed (exit {child.ExitCode}): {child.Stderr.Trim()}");
            return JsonSerializer.Deserialize<List<AllocatorTiming>>(File.ReadAllText(output))
                   ?? throw new DiffusionAlignException("the allocator section's process wrote no timings");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
