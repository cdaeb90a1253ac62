using System.Diagnostics;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench;

/// <summary>Sizes of a benchmark run; defaults are the demo's model, batch and sampling.</summary>
public sealed record BenchmarkConfig(int TimedSteps = 20, int WarmupSteps = 3, int SamplingBatch = 32)
{
    /// <summary>Pairs per timed step: the alignment recipe's micro-batch.</summary>
    public int PairsPerStep { get; init; } = new AlignConfig().BatchSize;

    /// <summary>DDIM steps of the timed sampling: the demo's.</summary>
    public int SamplingSteps { get; init; } = SamplingOptions.Fast.Steps;

    /// <summary>Guidance scale of the timed sampling: the demo's.</summary>
    public double GuidanceScale { get; init; } = SamplingOptions.Fast.GuidanceScale;

    /// <summary>Timed sampling runs (each <see cref="SamplingBatch"/> images); the median is reported.</summary>
    public int SamplingRuns { get; init; } = 3;

    /// <summary>Square fp32 GEMM sizes tried for the ceiling; the best throughput is the ceiling.</summary>
    public IReadOnlyList<int> GemmSizes { get; init; } = [512, 1024, 2048];

    /// <summary>Measure each lever of <see cref="StepLevers"/> on and off.</summary>
    public bool Levers { get; init; } = true;

    /// <summary>Image sizes of the scaling sweep (empty: no sweep).</summary>
    public IReadOnlyList<int> SweepSizes { get; init; } = [16, 32, 64];

    /// <summary>Pairs per step of the scaling sweep.</summary>
    public IReadOnlyList<int> SweepBatches { get; init; } = [4, 16, 64];

    /// <summary>
    /// Timed steps per sweep point (after at least one warm-up step, until <see cref="SteadyState"/>).
    /// </summary>
    public int SweepTimedSteps { get; init; } = 3;

    /// <summary>Measure the malloc modes (<see cref="Machine.MallocMode"/>).</summary>
    public bool Allocator { get; init; } = true;

    /// <summary>
    /// Runs the allocator section in a fresh process and returns its timings (<c>dalign bench</c>
    /// starts itself). The section leaves a heap grown to gigabytes behind, which would inflate
    /// the demo-size steps' peak RSS by ~100 MiB; in a child process the rest of the run sees the
    /// heap a real run would. Null: in this process, before anything else.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Func<Action<string>?, IReadOnlyList<AllocatorTiming>>? AllocatorInChildProcess { get; init; }

    /// <summary>Pairs per step of the allocator measurement's large step.</summary>
    public int LargeBatchPairs { get; init; } = 64;

    /// <summary>Image size of the allocator measurement's large step.</summary>
    public int LargeImageSize { get; init; } = 64;

    /// <summary>Run the PyTorch peer (bench/peer/peer_step.py) when python3-torch is installed.</summary>
    public bool Peer { get; init; } = true;

    /// <summary>Where to write the sweep's plot (null: no plot).</summary>
    public string? SweepPlotPath { get; init; }
}

/// <summary>
/// Measures, in one process: the machine's dense GEMM throughput; DiffusionAlign's alignment step
/// (DSPO, DPO) and sampling at the demo configuration, each step split into policy forward,
/// backward, reference forward and optimizer; each performance lever on and off; the step's memory
/// against what it must hold; and a sweep over image size × batch.
/// </summary>
public static class AlignmentBenchmark
{
    public static BenchmarkResults Run(BenchmarkConfig config, Action<string>? log = null)
    {
        var world = new ShapesWorld();
        // LibTorch, its thread pool and oneDNN are loaded by the first op: the process's fixed cost.
        using (var warm = ones(64, 64)) matmul(warm, warm).Dispose();
        double? baselineRss = ProcessMemory.CurrentRssMiB();
        double? baselineFile = ProcessMemory.FileBackedRssMiB();
        double? baselineAnon = ProcessMemory.AnonymousRssMiB();
        var baselineHeap = Machine.NativeAllocator.HeapStatistics();
        log?.Invoke($"process RSS before any model: {baselineRss:F0} MiB (.NET runtime + LibTorch)");

        var firstPass = MeasureCeiling(config);
        double gemm = firstPass.Values.Max();
        double conv = ConvGflops(32, 128, 3);
        log?.Invoke($"dense fp32 GEMM on {get_num_threads()} threads: "
            + string.Join(", ", firstPass.Select(kv => $"{kv.Key} {kv.Value:F1}"))
            + $" GFLOP/s; ceiling {gemm:F1}. (A 3×3 convolution 32×128×32×32: {conv:F1} GFLOP/s nominal.)");

        using var policy = TextToImageModel.Create(ShapesModel.Config(world), seed: 0);
        int size = policy.Config.ImageSize;
        double flopsPerImage = FlopCounter.UNetForward(policy.Unet, policy.Tokenizer.MaxLength);
        log?.Invoke($"UNet forward: {flopsPerImage / 1e9:F3} GFLOP per {size}×{size} image, "
            + $"{policy.Unet.parameters().Sum(p => p.numel()):N0} parameters");

        var pairs = ShapesPairGenerator.CleanVersusFlawed(world, config.PairsPerStep, size, seed: 0);
        // In this process it must come first, because mallopt changes the process for good;
        // afterwards dalign's own mode.
        var allocator = !config.Allocator ? new List<AllocatorTiming>()
            : config.AllocatorInChildProcess is { } child ? child(log).ToList()
            : AllocatorBenchmark.Run(world, policy, pairs, flopsPerImage, gemm, config, log);
        var dalignMode = Machine.NativeAllocator.DalignDefault();
        if (dalignMode is { } m) Machine.NativeAllocator.Use(m);
        log?.Invoke($"malloc mode for the rest of the run: {dalignMode?.ToString() ?? "glibc's defaults"}");

        var timings = new List<TrainingStepTiming>();
        foreach (var method in new[] { AlignMethod.Dspo, AlignMethod.Dpo })
        {
            var timing = TrainingStepBenchmark.Time(policy, pairs, method, StepLevers.Fast, config.WarmupSteps,
                config.TimedSteps, flopsPerImage, gemm);
            timings.Add(timing);
            log?.Invoke($"{method}: {timing.StepSeconds * 1000:F0} ms/step after {timing.WarmupSteps} warm-up steps, "
                + $"{timing.PairsPerSecond:F1} pairs/s, {timing.GflopsPerSecond:F1} GFLOP/s "
                + $"({timing.FractionOfGemm:P0} of GEMM), reference forward {timing.ReferenceShare:P0} of the step"
                + (timing.PeakRssMiB is double rss ? $", peak RSS {rss:F0} MiB" : ""));
        }

        var peers = new List<PeerComparison>();
        PeerCheckResult? peerCheck = null;
        // One probe for the interpreter (it imports torch) serves the check and both timed runs.
        if (config.Peer && PeerBenchmark.FindPython(log) is { } python)
        {
            peerCheck = PeerBenchmark.TryCheck(policy.Unet, policy.Tokenizer.MaxLength, log: log, python: python);
            if (peerCheck is not null)
                log?.Invoke($"peer (PyTorch {peerCheck.TorchVersion}) runs the same UNet: "
                    + $"{peerCheck.Parameters:N0} parameters, outputs within {peerCheck.OutputMaxAbsDiff:E1} of ours");
            foreach (var ours in timings)
            {
                var method = ours.Method == "dspo" ? AlignMethod.Dspo : AlignMethod.Dpo;
                var peer = PeerBenchmark.TryRun(policy.Config.Unet, method, config.PairsPerStep, config.TimedSteps,
                    config.WarmupSteps, get_num_threads(), policy.Tokenizer.MaxLength, log: log, python: python);
                if (peer is null) continue;
                peers.Add(new PeerComparison(ours.Method, ours.StepSeconds, peer.StepSeconds,
                    ours.StepSeconds / peer.StepSeconds, peer));
                log?.Invoke($"{ours.Method}: ours {ours.StepSeconds * 1000:F0} ms/step, "
                    + $"PyTorch {peer.TorchVersion} {peer.StepSeconds * 1000:F0} ms/step "
                    + $"→ ours/peer {ours.StepSeconds / peer.StepSeconds:F2}");
            }
        }

        double activationBytes = ActivationMemory.UNetSavedBytesPerImage(policy.Unet, policy.Tokenizer.MaxLength);
        var peakTiming = timings.MaxBy(t => t.PeakRssMiB ?? 0);
        var memory = MemoryBudget.For(policy, config.PairsPerStep, activationBytes) with
        {
            BaselineRssMiB = baselineRss,
            PeakRssMiB = peakTiming?.PeakRssMiB,
            BaselineFileBackedMiB = baselineFile,
            BaselineAnonymousMiB = baselineAnon,
            PeakFileBackedMiB = peakTiming?.FileBackedRssMiB,
            PeakAnonymousMiB =
                peakTiming is { FileBackedSteady: true, PeakRssMiB: double p, FileBackedRssMiB: double f }
                    ? p - f
                    : null,
            HeapBetweenSteps = peakTiming?.Heap,
            HeapAfterPolicyForward = peakTiming?.HeapAfterPolicyForward,
            BaselineHeap = baselineHeap,
        };
        log?.Invoke($"memory: must hold {memory.BudgetMiB:F1} MiB (weights {memory.WeightsMiB:F1}, "
            + $"gradients {memory.GradientsMiB:F1}, AdamW {memory.OptimizerStateMiB:F1}, "
            + $"activations {memory.ActivationsMiB:F1}); "
            + $"alignment peak RSS {memory.PeakRssMiB:F0} MiB = {memory.PeakOverBudget:F1}× "
            + $"(target ≤ {memory.TargetRatio}); above the process baseline {memory.GrowthOverBudget:F1}×");
        log?.Invoke($"memory: {memory.Anatomy()}");

        var levers = new List<LeverResult>();
        if (config.Levers)
        {
            log?.Invoke("levers (DSPO step, fast setting against each lever off):");
            levers = LeverBenchmark.Run(policy, pairs, AlignMethod.Dspo, StepLevers.Fast, config.WarmupSteps,
                config.TimedSteps, flopsPerImage, gemm, log);
        }

        var sampling = TimeSampling(policy, world, config, flopsPerImage, gemm, log);

        var sweep = new List<ScalingPoint>();
        if (config.SweepSizes.Count > 0 && config.SweepBatches.Count > 0)
        {
            log?.Invoke("scaling sweep (DSPO step):");
            sweep = ScalingSweep.Run(world, config.SweepSizes, config.SweepBatches, gemm, 1,
                config.SweepTimedSteps, log);
        }

        // The ceiling again, at the end: a first pass right after start-up can be slowed by the
        // launcher still exiting (on a 2-core EPYC, matmul then measures 85–138 instead of ~195 GFLOP/s).
        // The best of both passes is the ceiling, and every fraction is taken against it.
        var lastPass = MeasureCeiling(config);
        var gemmBySize = firstPass.Keys.ToDictionary(k => k, k => Math.Max(firstPass[k], lastPass[k]));
        gemm = gemmBySize.Values.Max();
        log?.Invoke($"dense fp32 GEMM again: "
            + string.Join(", ", lastPass.Select(kv => $"{kv.Key} {kv.Value:F1}"))
            + $" GFLOP/s; ceiling (best of both passes) {gemm:F1}; the fractions below are against it");
        timings = timings.Select(t => t with { FractionOfGemm = t.GflopsPerSecond / gemm }).ToList();
        sampling = sampling with { FractionOfGemm = sampling.GflopsPerSecond / gemm };
        sweep = sweep.Select(p => p with { FractionOfGemm = p.GflopsPerSecond / gemm }).ToList();
        if (sweep.Count > 0 && config.SweepPlotPath is string plotPath)
        {
            ScalingPlot.Save(plotPath, sweep, gemm);
            log?.Invoke($"wrote {plotPath}");
        }

        var targets = new List<TargetCheck>();
        foreach (var t in timings)
            targets.Add(TargetCheck.AtLeast($"{t.Method}_step_fraction_of_gemm", 0.5, t.FractionOfGemm,
                WhereTheTimeGoes(t)));
        targets.Add(TargetCheck.AtLeast("sampling_fraction_of_gemm", 0.5, sampling.FractionOfGemm,
            "DDIM steps are UNet forwards on 2×batch (guidance) images; scheduler arithmetic is the rest"));
        if (memory.PeakOverBudget is double ratio)
            targets.Add(TargetCheck.AtMost("alignment_peak_rss_over_budget", memory.TargetRatio, ratio,
                $"process baseline {memory.BaselineRssMiB:F0} MiB (.NET + LibTorch) "
                + $"against a {memory.BudgetMiB:F1} MiB budget; "
                + $"the step itself adds {memory.PeakRssMiB - memory.BaselineRssMiB:F0} MiB "
                + $"= {memory.GrowthOverBudget:F1}× the budget; {memory.Anatomy()}"));

        return new BenchmarkResults
        {
            Machine = new Dictionary<string, string>
            {
                ["processors"] = Environment.ProcessorCount.ToString(),
                ["torch_threads"] = get_num_threads().ToString(),
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "?",
                ["date_utc"] = DateTime.UtcNow.ToString("u"),
            },
            GemmGflopsPerSecond = gemm,
            GemmBySize = gemmBySize,
            GemmFirstPass = firstPass,
            GemmLastPass = lastPass,
            ConvGflopsPerSecond = conv,
            UnetGflopsPerForward = flopsPerImage / 1e9,
            UnetParameters = policy.Unet.parameters().Sum(p => p.numel()),
            Training = timings,
            SamplingImagesPerSecond = sampling.ImagesPerSecond,
            SamplingForwardsPerSecond = sampling.ForwardsPerSecond,
            SamplingGflopsPerSecond = sampling.GflopsPerSecond,
            SamplingFractionOfGemm = sampling.FractionOfGemm,
            PeakRssMiB = ProcessMemory.PeakRssMiB(),
            Memory = memory,
            Levers = levers,
            Allocator = allocator,
            Scaling = sweep,
            Targets = targets,
            PeerCheck = peerCheck,
            Peer = peers,
            Settings = new Dictionary<string, string>
            {
                ["pairs_per_step"] = config.PairsPerStep.ToString(),
                ["timed_steps"] = config.TimedSteps.ToString(),
                ["sampling_batch"] = config.SamplingBatch.ToString(),
                ["sampling_steps"] = config.SamplingSteps.ToString(),
                ["sampling_runs"] = config.SamplingRuns.ToString(),
                ["guidance_scale"] = config.GuidanceScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["image_size"] = size.ToString(),
            ["malloc_mode"] = dalignMode?.ToString() ?? "glibc_default",
                ["sweep_sizes"] = string.Join(",", config.SweepSizes),
                ["sweep_batches"] = string.Join(",", config.SweepBatches),
            },
        };
    }

    /// <summary>
    /// The ceiling's candidates: matmul at each of <see cref="BenchmarkConfig.GemmSizes"/> and oneDNN's 1024³ GEMM.
    /// </summary>
    private static Dictionary<string, double> MeasureCeiling(BenchmarkConfig config)
    {
        var bySize = config.GemmSizes.ToDictionary(n => $"matmul_{n}", n => GemmGflops(n));
        bySize["onednn_1x1_conv_1024"] = ConvGflops(1, 1024, 1);
        return bySize;
    }

    /// <summary>
    /// Large fp32 matrix multiply throughput: the dense-compute ceiling the UNet is measured against.
    /// Best of five trials, because a single trial here can vary by 2× (thread pool warm-up, other load).
    /// </summary>
    public static double GemmGflops(int n, int repeats = 10, int trials = 5)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        return BestGflops(() => matmul(a, b), 2.0 * n * n * n, warmup: 3, repeats, trials);
    }

    /// <summary>
    /// GFLOP/s of a convolution through oneDNN (LibTorch's CPU convolution library), best of
    /// <paramref name="trials"/>. A 1×1 convolution of [1, n, 32, 32] by [n, n, 1, 1] is an n×n×1024
    /// GEMM done by oneDNN rather than by the sgemm behind <c>matmul</c>: on this AMD CPU (2 cores of an
    /// EPYC) it runs about twice as fast (377–423 against 176–208 GFLOP/s for matmul at 512³–2048³), so
    /// the ceiling takes the better of the two. A 3×3 convolution is reported beside them because its
    /// nominal rate can exceed both (oneDNN may use fewer multiplies).
    /// </summary>
    public static double ConvGflops(int batch, int channels, int kernel, int side = 32, int repeats = 5, int trials = 5)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(batch, channels, side, side);
        var w = randn(channels, channels, kernel, kernel);
        long pad = kernel / 2;
        double flops = 2.0 * batch * channels * channels * kernel * kernel * side * side;
        return BestGflops(() => nn.functional.conv2d(x, w, padding: [pad, pad]), flops, warmup: 2, repeats, trials);
    }

    /// <summary>
    /// Best GFLOP/s over <paramref name="trials"/> timings of <paramref name="repeats"/> calls, after
    /// <paramref name="warmup"/> untimed ones.
    /// </summary>
    private static double BestGflops(Func<Tensor> op, double flopsPerCall, int warmup, int repeats, int trials)
    {
        for (int i = 0; i < warmup; i++) op().Dispose();
        double best = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++) op().Dispose();
            best = Math.Max(best, flopsPerCall * repeats / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private sealed record SamplingTiming(double ImagesPerSecond, double ForwardsPerSecond, double GflopsPerSecond,
        double FractionOfGemm);

    private static SamplingTiming TimeSampling(TextToImageModel model, ShapesWorld world, BenchmarkConfig config,
        double flopsPerImage, double gemm, Action<string>? log)
    {
        using var policy = model.Copy();
        policy.Freeze();
        int size = policy.Config.ImageSize;
        var prompts = Enumerable.Range(0, config.SamplingBatch)
            .Select(i => world.Split.HeldOut[i % world.Split.HeldOut.Count].ToString()).ToList();
        var options = new SamplingOptions(config.SamplingSteps, config.GuidanceScale);
        using (var warm = TextToImageSampler.InitialNoise(config.SamplingBatch, size, 1))
            TextToImageSampler.Generate(policy, prompts, warm, options with { Steps = 2 }).Dispose();
        // Median of a few runs: one run of ~2 s is as exposed to a busy moment as a single step.
        var runs = new List<double>();
        for (int run = 0; run < config.SamplingRuns; run++)
        {
            using var noise = TextToImageSampler.InitialNoise(config.SamplingBatch, size, 2 + run);
            var clock = Stopwatch.StartNew();
            TextToImageSampler.Generate(policy, prompts, noise, options).Dispose();
            runs.Add(clock.Elapsed.TotalSeconds);
        }
        double seconds = TrainingStepBenchmark.Median(runs);
        int passes = options.GuidanceScale == 1.0 ? 1 : 2;
        double forwards = (double)config.SamplingBatch * config.SamplingSteps * passes;
        double gflops = forwards * flopsPerImage / seconds / 1e9;
        log?.Invoke($"sampling: {config.SamplingBatch / seconds:F1} images/s ({config.SamplingSteps} DDIM steps, "
            + $"guidance {config.GuidanceScale}), {gflops:F1} GFLOP/s ({gflops / gemm:P0} of GEMM)");
        return new SamplingTiming(config.SamplingBatch / seconds, forwards / seconds, gflops, gflops / gemm);
    }

    private static string WhereTheTimeGoes(TrainingStepTiming t) =>
        FormattableString.Invariant($"policy forward {t.PolicyForwardSeconds / t.StepSeconds:P0}, ")
        + FormattableString.Invariant($"backward {t.BackwardSeconds / t.StepSeconds:P0}, ")
        + FormattableString.Invariant($"reference forward {t.ReferenceForwardSeconds / t.StepSeconds:P0}, ")
        + FormattableString.Invariant($"optimizer {t.OptimizerSeconds / t.StepSeconds:P0}, ")
        + FormattableString.Invariant($"other (inputs, text encoder) {t.OtherSeconds / t.StepSeconds:P0}");
}
