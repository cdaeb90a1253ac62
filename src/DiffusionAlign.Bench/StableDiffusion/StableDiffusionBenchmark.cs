using System.Diagnostics;
using System.Globalization;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Text;
using DiffusionAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench.StableDiffusion;

/// <summary>
/// The Stable Diffusion section of <c>dalign bench --sd15</c>: Stable Diffusion 1.5's architecture at
/// 256×256 (latents 4×32×32), random weights. For float32 and bfloat16, with and without gradient
/// checkpointing: the time and peak memory of one LoRA DSPO step on one pair, beside
/// <see cref="MemoryEstimate"/>'s estimate; for both precisions, one 20-step guided DDIM sample of one image
/// with its VAE decode. Every configuration runs on its own (<see cref="StableDiffusionCaseRun"/>), float32
/// first; a bfloat16 one is skipped, with the reason, when <see cref="PrecisionProbe"/> and its float32
/// timing say it would not end within the section's limit.
/// </summary>
public static class StableDiffusionBenchmark
{
    /// <summary>Below this many seconds left, no configuration is started.</summary>
    public const double MinimumSecondsPerCase = 60;

    /// <param name="config">The section's sizes and limits.</param>
    /// <param name="runCase">
    /// Runs one configuration within the time given (<c>dalign bench</c>: a fresh process each).
    /// </param>
    /// <param name="memoryMeasurement">How <paramref name="runCase"/> isolates the peaks, for the record.</param>
    /// <param name="log">Progress lines.</param>
    public static StableDiffusionResults Run(StableDiffusionBenchConfig config,
        Func<StableDiffusionCase, TimeSpan, StableDiffusionCaseResult> runCase, string memoryMeasurement,
        Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        double limit = config.SectionMinutes * 60;
        var loadAtStart = LoadAverage.Read();
        var model = config.Model;
        int latentSize = model.Vae is { } vae ? model.ImageSize / vae.DownscaleFactor : model.ImageSize;
        int tokens = TokenizerRegistry.Create(model.Tokenizer).MaxLength;
        double gflop;
        long parameters;
        using (var unet = new UNet2DConditionModel(model.Unet, new Device(DeviceType.META)))
        {
            gflop = FlopCounter.UNetForward(unet, tokens, latentSize) / 1e9;
            parameters = unet.parameters().Sum(p => p.numel());
        }
        log?.Invoke($"Stable Diffusion section: {model.ImageSize}×{model.ImageSize} images, latents {latentSize}×"
            + $"{latentSize}; UNet forward {gflop:F1} GFLOP per latent; load average {Format(loadAtStart)}");

        var probe = PrecisionProbe.Measure(config.ProbeChannels, config.ProbeSide);
        log?.Invoke($"bf16 probe, {probe.Shape}: fp32 {probe.Fp32Seconds * 1000:F1} ms, "
            + $"bf16 {probe.Bf16Seconds * 1000:F1} ms ({probe.Slowdown:F1}×)");

        var cases = new List<StableDiffusionCaseResult>();
        foreach (var c in StableDiffusionCase.All)
        {
            double left = limit - clock.Elapsed.TotalSeconds;
            if (WhyNotRun(c, cases, probe, left, config) is string reason)
            {
                cases.Add(StableDiffusionCaseResult.For(c, reason));
                log?.Invoke($"{c.Name}: {reason}");
                continue;
            }
            log?.Invoke($"{c.Name}:");
            var result = runCase(c, TimeSpan.FromSeconds(left));
            cases.Add(result);
            log?.Invoke($"{c.Name}: {Summary(result)}");
        }

        return new StableDiffusionResults
        {
            Model = "Stable Diffusion 1.5 architecture (UNet, VAE, CLIP ViT-L/14 text encoder), random weights "
                + $"(seed {config.Seed}); prompts through a 77-token hashing tokenizer",
            ImageSize = model.ImageSize,
            LatentSize = latentSize,
            UnetParameters = parameters,
            UnetGflopPerForward = gflop,
            FlopConvention = "unet_gflop_per_forward is exact for the shapes that ran (2 FLOPs per multiply-add of "
                + "every convolution, linear layer and attention matmul; norms, activations, LoRA adapters and the "
                + "text encoder left out). An alignment step counts 3 forwards on each of its 2 images per pair "
                + "(reference, policy, and backward: the base weights are frozen, so only input gradients), 4 "
                + "with gradient checkpointing (the recomputation), over the time of those phases (unet_seconds; "
                + "step_seconds also holds the pair's VAE encoding and AdamW); sampling counts its steps × 2 "
                + "(guidance) forwards over the denoising time, the VAE decode apart",
            LoraRank = config.LoraRank,
            LoraTargets = Models.Lora.LoraConfig.UnetProjections,
            PairsPerStep = config.PairsPerStep,
            SamplingSteps = config.SamplingSteps,
            GuidanceScale = config.GuidanceScale,
            MemoryMeasurement = memoryMeasurement,
            Bf16Probe = probe,
            Machine = new Dictionary<string, string>
            {
                ["processors"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
                ["torch_threads"] = get_num_threads().ToString(CultureInfo.InvariantCulture),
                ["load_average_at_start"] = Format(loadAtStart),
                ["load_average_at_end"] = Format(LoadAverage.Read()),
                ["malloc_mode"] = NativeAllocator.DalignDefault()?.ToString() ?? "glibc_default",
                ["date_utc"] = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
            },
            SectionSeconds = clock.Elapsed.TotalSeconds,
            Cases = cases,
        };
    }

    /// <summary>
    /// Why <paramref name="c"/> is not run, or null to run it: the section's time is up, or it is a bfloat16
    /// configuration that would take longer than the time left, judged from its float32 counterpart's time
    /// scaled by the probe's slowdown (without a float32 time to go by, it runs, within the time left).
    /// </summary>
    public static string? WhyNotRun(StableDiffusionCase c, IReadOnlyList<StableDiffusionCaseResult> done,
        PrecisionProbe probe, double secondsLeft, StableDiffusionBenchConfig config)
    {
        if (secondsLeft < MinimumSecondsPerCase)
            return Invariant($"not run: the section's {config.SectionMinutes:0.#}-minute limit was reached");
        if (c.Precision != TrainingPrecision.Bf16) return null;
        var fp32 = done.FirstOrDefault(r => r.Case == c.Fp32Counterpart.Name && r.Error is null);
        double? work = c.Work == StableDiffusionWork.AlignmentStep
            ? (config.WarmupSteps + 1) * fp32?.StepSeconds
            : fp32?.SamplingSeconds;
        if (work is not double seconds) return null;
        double predicted = (fp32!.SetupSeconds ?? 0) + probe.Slowdown * seconds;
        if (predicted <= secondsLeft) return null;
        return Invariant($"not run: bfloat16 runs {probe.Slowdown:F0}× slower than float32 on this CPU ")
            + Invariant($"({probe.Shape}: {probe.Bf16Seconds:F3} s against {probe.Fp32Seconds:F3} s), so this ")
            + Invariant($"configuration would take about {predicted / 60:F0} min (float32: {fp32.Case}), ")
            + Invariant($"more than the {secondsLeft / 60:F0} min left of the section's limit");
    }

    /// <summary>One line of a configuration's figures, for the log.</summary>
    public static string Summary(StableDiffusionCaseResult r)
    {
        if (r.Error is not null) return r.Error;
        string time = r.StepSeconds is double step
            ? Invariant($"{step:F1} s/step (median of {r.TimedSteps}; UNet {r.UnetSeconds:F1} s at ")
                + Invariant($"{r.UnetGflopsPerSecond:F1} GFLOP/s)")
            : Invariant($"{r.SamplingSeconds:F1} s ({r.DenoiseSeconds:F1} denoising at ")
                + Invariant($"{r.UnetGflopsPerSecond:F1} GFLOP/s, {r.VaeDecodeSeconds:F1} VAE decode)");
        string memory = Invariant($"peak RSS {r.PeakRssMiB:F0} MiB (ready {r.ReadyRssMiB:F0}, before any model ")
            + Invariant($"{r.BaselineRssMiB:F0})");
        if (r.Estimate is { } e) memory += Invariant($", estimate {e.TotalMiB:F0} MiB");
        return time + "; " + memory;
    }

    private static string Format(double[]? load) =>
        load is null ? "unknown" : string.Join(" ", load.Select(l => l.ToString("F2", CultureInfo.InvariantCulture)));

    private static string Invariant(FormattableString s) => FormattableString.Invariant(s);
}
