using System.CommandLine;
using System.Text.Json;
using DiffusionAlign.Bench;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Bench.StableDiffusion;
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
        var warmupSteps = new Option<int>("--warmup-steps")
        {
            Description = "Untimed steps before the timed ones (at least; the main section warms up until the "
                + "process stops growing)",
            DefaultValueFactory = _ => defaults.WarmupSteps,
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
        var sd15 = new Option<bool>("--sd15")
        {
            Description = "Run only the Stable Diffusion 1.5 section (random weights, 256×256: LoRA steps in fp32 "
                + "and bf16 with and without gradient checkpointing, 20-step sampling) and merge it into --out",
        };
        var sd15Minutes = new Option<double>("--sd15-minutes")
        {
            Description = "Time limit of the --sd15 section; configurations that would end past it are skipped",
            DefaultValueFactory = _ => new StableDiffusionBenchConfig().SectionMinutes,
        };
        // Internal: one configuration of the --sd15 section, run by `dalign bench --sd15` in a fresh process.
        var sd15Case = new Option<string?>("--sd15-case")
        {
            Description = "Run only this configuration of the --sd15 section", Hidden = true,
        };
        var sd15CaseOut = new Option<string?>("--sd15-case-out")
        {
            Description = "Where --sd15-case writes its result (JSON)", Hidden = true,
        };
        var mpi = new Option<bool>("--mpi")
        {
            Description = "Run only the data-parallel section: the alignment step of --pairs and of --large-pairs "
                + "pairs (over all processes) in the layout it runs under (mpirun -np N, or alone) × --threads, "
                + "with its all-reduce; merged into --out under this layout",
        };
        var largePairs = new Option<int>("--large-pairs")
        {
            Description = "Pairs per step of the larger batch of --mpi",
            DefaultValueFactory = _ => defaults.LargeBatchPairs,
        };
        var command = new Command("bench",
            "Benchmark alignment steps (DSPO, DPO) and sampling at the demo's size against the machine's GEMM "
            + "throughput; writes bench.json and a scaling plot (--sd15: Stable Diffusion 1.5's size instead)");
        foreach (var o in new Option[]
                 {
                     outPath, plot, pairs, steps, warmupSteps, noLevers, noSweep, noPeer, threads, allocatorOnly, sd15,
                     sd15Minutes, sd15Case, sd15CaseOut, mpi, largePairs,
                 })
            command.Options.Add(o);
        command.SetAction(result =>
        {
            if (result.GetValue(mpi))
                return CommandRunner.WithWorld(world => CommandRunner.Run(() => RunDataParallelSection(world,
                    result.GetValue(outPath)!, result.GetValue(threads), new DataParallelBenchConfig
                    {
                        GlobalPairs = [result.GetValue(pairs), result.GetValue(largePairs)],
                        TimedSteps = result.GetValue(steps),
                        WarmupSteps = result.GetValue(warmupSteps),
                    })));
            return CommandRunner.Run(() =>
            {
                if (Distributed.Communicators.StartedByMpirun)
                    throw new DiffusionAlignException("under mpirun, dalign bench runs only its --mpi section");
                int? n = result.GetValue(threads);
                if (n is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {n}");
                ComputeDevice.ConfigureThreads(n);
                NativeAllocator.DalignDefault(); // a bad DALIGN_MALLOC fails now, not after the allocator section
                string path = result.GetValue(outPath)!;
                if (result.GetValue(sd15Case) is string caseName)
                    return RunStableDiffusionCase(caseName, result.GetValue(sd15CaseOut));
                if (result.GetValue(sd15))
                    return RunStableDiffusionSection(path, result.GetValue(sd15Minutes), n);
                string plotPath = result.GetValue(plot)
                    ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "scaling.png");
                var config = defaults with
                {
                    PairsPerStep = result.GetValue(pairs),
                    TimedSteps = result.GetValue(steps),
                    WarmupSteps = result.GetValue(warmupSteps),
                    Levers = !result.GetValue(noLevers),
                    Allocator = !result.GetValue(noLevers),
                    Peer = !result.GetValue(noPeer),
                    SweepSizes = result.GetValue(noSweep) ? [] : defaults.SweepSizes,
                    SweepPlotPath = plotPath,
                };
                if (config.PairsPerStep < 1 || config.TimedSteps < 1)
                    throw new DiffusionAlignException("--pairs and --timed-steps must be at least 1");
                if (config.WarmupSteps < 0)
                    throw new DiffusionAlignException($"--warmup-steps must be at least 0, got {config.WarmupSteps}");
                if (result.GetValue(allocatorOnly) is string allocatorPath)
                {
                    var timings = AllocatorBenchmark.RunStandalone(config, CliOutput.Log);
                    File.WriteAllText(allocatorPath, JsonSerializer.Serialize(timings));
                    return 0;
                }
                config = config with { AllocatorInChildProcess = log => ChildProcessAllocator(log, config, n) };
                var results = AlignmentBenchmark.Run(config, CliOutput.Log);
                results.Save(path);
                foreach (var t in results.Targets)
                {
                    string verdict = t.Met ? "met" : $"MISSED by {t.Shortfall:F3}";
                    Console.WriteLine(
                        $"target {t.Target} {t.Comparison} {t.Threshold}: {t.Measured:F3} {verdict} ({t.WhereItGoes})");
                }
                Console.WriteLine($"peak RSS {results.PeakRssMiB:F0} MiB; wrote {path}");
                return 0;
            });
        });
        return command;
    }

    /// <summary>
    /// The --mpi section: the data-parallel step in this job's layout, merged by rank 0 into the <c>mpi</c> section
    /// of <paramref name="path"/> (each layout under its own key; the scaling efficiency once the single process on
    /// the same cores is there too).
    /// </summary>
    private static int RunDataParallelSection(Distributed.ICommunicator world, string path, int? threads,
        DataParallelBenchConfig config)
    {
        if (threads is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {threads}");
        ComputeDevice.ConfigureThreads(threads);
        // The allocator `dalign align` runs with, set before LibTorch allocates anything.
        NativeAllocator.ConfigureFromEnvironment();
        if (world.Rank == 0) BenchJson.Read(path); // an unreadable bench.json fails now, not after the timing
        var result = DataParallelBenchmark.Run(world, config, CliOutput.Log);
        if (world.Rank != 0) return 0;
        var section = DataParallelResults.Merge(BenchJson.Read(path)[DataParallelResults.Key], result);
        BenchJson.WriteSection(path, DataParallelResults.Key, section);
        foreach (var c in result.Cases)
            Console.WriteLine($"{result.Layout} ({result.Processes} process(es) × {result.ThreadsPerProcess} "
                + $"thread(s)), {c.GlobalPairs} pairs: {c.StepSeconds * 1000:F1} ms/step, "
                + $"{c.PairsPerSecond:F1} pairs/s, "
                + $"all-reduce {c.AllReduceSeconds * 1000:F2} ms of {c.AllReduceBytes / 1048576.0:F1} MiB "
                + $"({c.AllReduceShare:P1} of the step)");
        foreach (var e in section["scaling"].Deserialize<List<ScalingEfficiency>>() ?? [])
            Console.WriteLine($"scaling efficiency {e.Layout} against {e.Against}, {e.GlobalPairs} pairs: "
                + $"{e.Efficiency:F2} ({e.PairsPerSecond:F1} vs {e.AgainstPairsPerSecond:F1} pairs/s)");
        Console.WriteLine($"wrote the {DataParallelResults.Key} section of {path} (layout {result.Layout})");
        return 0;
    }

    /// <summary>
    /// The --sd15 section: each configuration in a fresh <c>dalign bench --sd15-case</c> process, the results
    /// merged into <paramref name="path"/> under their own key.
    /// </summary>
    private static int RunStableDiffusionSection(string path, double minutes, int? threads)
    {
        if (!(minutes > 0)) throw new DiffusionAlignException($"--sd15-minutes must be positive, got {minutes}");
        BenchJson.Read(path); // an unreadable bench.json fails now, not after the section's half hour
        var config = new StableDiffusionBenchConfig { SectionMinutes = minutes };
        const string measurement = "each configuration in a fresh process (dalign bench --sd15-case), with dalign's "
            + "malloc mode; once its model is ready (built, adapters added, converted), freed heap pages go back to "
            + "the system (malloc_trim) and the peak is reset (5 to /proc/self/clear_refs), so peak_rss_mib "
            + "(VmHWM) is the measured work's own peak, the resident weights included; setup_peak_rss_mib is the "
            + "peak while the model was built, baseline_rss_mib the process before any model";
        var results = StableDiffusionBenchmark.Run(config,
            (c, limit) => ChildProcessStableDiffusionCase(c, limit, threads, CliOutput.Log), measurement,
            CliOutput.Log);
        BenchJson.WriteSection(path, StableDiffusionResults.Key, JsonSerializer.SerializeToNode(results)!);
        Console.WriteLine($"wrote the {StableDiffusionResults.Key} section of {path} "
            + $"({results.SectionSeconds / 60:F1} min)");
        return 0;
    }

    /// <summary>One configuration of the --sd15 section, in this process (a child of the section's).</summary>
    private static int RunStableDiffusionCase(string name, string? output)
    {
        if (output is null) throw new DiffusionAlignException("--sd15-case needs --sd15-case-out");
        var c = StableDiffusionCase.Named(name);
        // The allocator `dalign align` runs with, set before LibTorch allocates anything.
        NativeAllocator.ConfigureFromEnvironment();
        // Its stdout is the parent's pipe, which relays each line as the section's progress.
        var result = StableDiffusionCaseRun.Run(new StableDiffusionBenchConfig(), c, Console.WriteLine);
        File.WriteAllText(output, JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>
    /// Runs <c>dalign bench --sd15-case</c> as a child process within <paramref name="limit"/> and reads its
    /// result; a child that is killed or fails becomes a result with the reason.
    /// </summary>
    private static StableDiffusionCaseResult ChildProcessStableDiffusionCase(StableDiffusionCase c, TimeSpan limit,
        int? threads, Action<string> log)
    {
        string output = Path.Combine(Path.GetTempPath(), $"dalign-sd15-{c.Name}-{Environment.ProcessId}.json");
        var (self, args) = SelfInvocation();
        args.AddRange(["bench", "--sd15-case", c.Name, "--sd15-case-out", output]);
        if (threads is int t) args.AddRange(["--threads", t.ToString()]);
        var child = ChildProcess.Run(self, args, limit, log)
            ?? throw new DiffusionAlignException($"could not start the process of {c.Name}");
        try
        {
            if (child.TimedOut)
                return StableDiffusionCaseResult.For(c, $"did not finish within the {limit.TotalMinutes:F0} min left "
                    + "of the section's limit (killed)");
            if (child.ExitCode != 0 || !File.Exists(output))
            {
                string last = child.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
                return StableDiffusionCaseResult.For(c, $"its process failed (exit {child.ExitCode}): {last.Trim()}");
            }
            return JsonSerializer.Deserialize<StableDiffusionCaseResult>(File.ReadAllText(output))
                   ?? StableDiffusionCaseResult.For(c, "its process wrote no result");
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>How to start this program again: the executable, and the entry assembly under <c>dotnet</c>.</summary>
    private static (string Self, List<string> Args) SelfInvocation()
    {
        string self = Environment.ProcessPath
            ?? throw new DiffusionAlignException("cannot find this executable to run a bench section in");
        var args = new List<string>();
        // Under `dotnet dalign.dll` the process is the dotnet host, which needs the entry assembly.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") args.Add(typeof(BenchCommand).Assembly.Location);
        return (self, args);
    }

    /// <summary>Runs <c>dalign bench --allocator-only</c> as a child process and reads its timings.</summary>
    private static IReadOnlyList<AllocatorTiming> ChildProcessAllocator(Action<string>? log, BenchmarkConfig config,
        int? threads)
    {
        string output = Path.Combine(Path.GetTempPath(), $"dalign-allocator-{Environment.ProcessId}.json");
        var (self, args) = SelfInvocation();
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
