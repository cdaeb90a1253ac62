using System.Diagnostics;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Imaging;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Benchmarks;

/// <summary>Sizes of a benchmark run; defaults are the demo's model and batch.</summary>
public sealed record BenchmarkConfig(int PairsPerStep = 8, int TimedSteps = 10, int WarmupSteps = 2, int SamplingBatch = 32, int SamplingSteps = 10, double GuidanceScale = 3.0, int GemmSize = 1024);

/// <summary>
/// Measures, in one process, the machine's dense GEMM throughput and DiffusionAlign's alignment
/// step (DSPO, DPO) and sampling throughput at the demo configuration, with each step's time
/// split into policy forward, backward, reference forward and optimizer.
/// </summary>
public static class AlignmentBenchmark
{
    public static BenchmarkResults Run(BenchmarkConfig config, Action<string>? log = null)
    {
        var world = new ShapesWorld();
        double gemm = GemmGflops(config.GemmSize);
        log?.Invoke($"GEMM {config.GemmSize}³ fp32: {gemm:F1} GFLOP/s on {get_num_threads()} threads");

        using var policy = TextToImageModel.Create(EmbeddedModel.Config(world), seed: 0);
        int size = policy.Config.ImageSize;
        double flopsPerImage = FlopCounter.UNetForward(policy.Unet, policy.Tokenizer.MaxLength);
        log?.Invoke($"UNet forward: {flopsPerImage / 1e9:F3} GFLOP per 32×32 image, {policy.Unet.parameters().Sum(p => p.numel()):N0} parameters");

        var pairs = ShapesPairGenerator.CleanVersusFlawed(world, config.PairsPerStep, size, seed: 0);
        var timings = new List<TrainingStepTiming>();
        foreach (var method in new[] { AlignMethod.Dspo, AlignMethod.Dpo })
        {
            var timing = TimeTraining(policy, pairs, method, config, flopsPerImage, gemm);
            timings.Add(timing);
            log?.Invoke($"{method}: {timing.PairsPerSecond:F1} pairs/s, {timing.GflopsPerSecond:F1} GFLOP/s ({timing.FractionOfGemm:P0} of GEMM), reference forward {timing.ReferenceShare:P0} of the step");
        }

        policy.Freeze();
        var prompts = Enumerable.Range(0, config.SamplingBatch).Select(i => world.Split.HeldOut[i % world.Split.HeldOut.Count].ToString()).ToList();
        var options = new SamplingOptions(config.SamplingSteps, config.GuidanceScale);
        using (var warm = TextToImageSampler.InitialNoise(config.SamplingBatch, size, 1))
            TextToImageSampler.Generate(policy, prompts, warm, options with { Steps = 2 }).Dispose();
        var clock = Stopwatch.StartNew();
        using (var noise = TextToImageSampler.InitialNoise(config.SamplingBatch, size, 2))
            TextToImageSampler.Generate(policy, prompts, noise, options).Dispose();
        double seconds = clock.Elapsed.TotalSeconds;
        int passes = options.GuidanceScale == 1.0 ? 1 : 2;
        double forwards = (double)config.SamplingBatch * config.SamplingSteps * passes;
        double samplingGflops = forwards * flopsPerImage / seconds / 1e9;
        log?.Invoke($"sampling: {config.SamplingBatch / seconds:F1} images/s ({config.SamplingSteps} DDIM steps, guidance {config.GuidanceScale}), {samplingGflops:F1} GFLOP/s ({samplingGflops / gemm:P0} of GEMM)");

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
            UnetGflopsPerForward = flopsPerImage / 1e9,
            UnetParameters = policy.Unet.parameters().Sum(p => p.numel()),
            Training = timings,
            SamplingImagesPerSecond = config.SamplingBatch / seconds,
            SamplingForwardsPerSecond = forwards / seconds,
            SamplingGflopsPerSecond = samplingGflops,
            SamplingFractionOfGemm = samplingGflops / gemm,
            PeakRssMiB = ProcessMemory.PeakRssMiB(),
            Settings = new Dictionary<string, string>
            {
                ["pairs_per_step"] = config.PairsPerStep.ToString(),
                ["timed_steps"] = config.TimedSteps.ToString(),
                ["sampling_batch"] = config.SamplingBatch.ToString(),
                ["sampling_steps"] = config.SamplingSteps.ToString(),
                ["guidance_scale"] = config.GuidanceScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["image_size"] = size.ToString(),
            },
        };
    }

    /// <summary>
    /// Large fp32 matrix multiply throughput: the dense-compute ceiling the UNet is measured against.
    /// Best of five trials, because a single trial here varied by 2× (thread pool warm-up, other load).
    /// </summary>
    public static double GemmGflops(int n, int repeats = 10, int trials = 5)
    {
        using var a = randn(n, n);
        using var b = randn(n, n);
        for (int i = 0; i < 3; i++) matmul(a, b).Dispose();
        double best = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++) matmul(a, b).Dispose();
            best = Math.Max(best, 2.0 * n * n * n * repeats / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static TrainingStepTiming TimeTraining(TextToImageModel start, IReadOnlyList<PreferencePair> pairs, AlignMethod method, BenchmarkConfig config, double flopsPerImage, double gemm)
    {
        using var policy = start.Copy();
        using var reference = start.Copy();
        reference.Freeze();
        foreach (var p in policy.TextEncoder.parameters()) p.requires_grad = false;
        var alignConfig = AlignConfig.DefaultsFor(method);
        var objective = PreferenceTrainer.ObjectiveFor(alignConfig);
        var parameters = policy.Unet.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, 1e-5);
        double fwd = 0, bwd = 0, refFwd = 0, opt = 0, total = 0;
        int b = pairs.Count;
        for (int step = 0; step < config.WarmupSteps + config.TimedSteps; step++)
        {
            bool timed = step >= config.WarmupSteps;
            using var scope = NewDisposeScope();
            var stepClock = Stopwatch.StartNew();
            var inputs = PairInputs.Build(policy, pairs, alignConfig, step);
            var c = Stopwatch.StartNew();
            var prediction = policy.Predict(inputs.Noisy, inputs.Timesteps, inputs.Text);
            double f = c.Elapsed.TotalSeconds;
            c.Restart();
            Tensor referencePrediction;
            using (no_grad()) referencePrediction = reference.Predict(inputs.Noisy, inputs.Timesteps, inputs.Text);
            double r = c.Elapsed.TotalSeconds;
            c.Restart();
            optimizer.zero_grad();
            var output = objective.Compute(prediction, referencePrediction, inputs.Target);
            output.Loss.backward();
            double bw = c.Elapsed.TotalSeconds;
            c.Restart();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            double o = c.Elapsed.TotalSeconds;
            if (!timed) continue;
            fwd += f;
            refFwd += r;
            bwd += bw;
            opt += o;
            total += stepClock.Elapsed.TotalSeconds;
        }
        int n = config.TimedSteps;
        double stepSeconds = total / n;
        // Policy forward + backward ≈ 3 forwards on 2B images, reference 1 forward on 2B images.
        double flopsPerStep = (3.0 + 1.0) * 2 * b * flopsPerImage;
        double achieved = flopsPerStep / stepSeconds / 1e9;
        return new TrainingStepTiming(method.ToString().ToLowerInvariant(), b, stepSeconds, b / stepSeconds, fwd / n, bwd / n, refFwd / n, opt / n,
            Math.Max(0, stepSeconds - (fwd + bwd + refFwd + opt) / n), refFwd / total, achieved, achieved / gemm);
    }
}
