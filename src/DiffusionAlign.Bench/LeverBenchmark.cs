using System.Text.Json.Serialization;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Data;
using DiffusionAlign.Models;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;

namespace DiffusionAlign.Bench;

/// <summary>One lever's on/off measurement: the fast setting against the same step with only this lever off.</summary>
public sealed record LeverResult(
    [property: JsonPropertyName("lever")] string Lever,
    [property: JsonPropertyName("off_means")] string OffMeans,
    [property: JsonPropertyName("on_step_seconds")] double OnStepSeconds,
    [property: JsonPropertyName("off_step_seconds")] double OffStepSeconds,
    [property: JsonPropertyName("speedup")] double Speedup,
    [property: JsonPropertyName("on_peak_rss_mib")] double? OnPeakRssMiB,
    [property: JsonPropertyName("off_peak_rss_mib")] double? OffPeakRssMiB)
{
    /// <summary>
    /// The whole measurement with the lever on (phase split included), e.g. the optimizer's share for the
    /// flat-optimizer lever.
    /// </summary>
    [JsonPropertyName("on")] public TrainingStepTiming? On { get; init; }

    /// <summary>The same with the lever off.</summary>
    [JsonPropertyName("off")] public TrainingStepTiming? Off { get; init; }
}

/// <summary>
/// Turns each lever of <see cref="StepLevers"/> off in turn and times the step against the fast
/// setting measured right before it (interleaved, so drift on a shared machine hits both alike).
/// </summary>
public static class LeverBenchmark
{
    public static IReadOnlyList<(string Name, string OffMeans, StepLevers Off)> Levers(StepLevers fast) =>
    [
        ("reference_inference_mode",
            "reference forward with autograd on and its weights trainable (graph kept; backward through it "
            + "unless the loss detaches it, as DSPO's does)",
            fast with { Execution = fast.Execution with { Reference = ReferenceMode.Graph } }),
        ("reference_inference_vs_no_grad", "reference forward under no_grad instead of inference mode",
            fast with { Execution = fast.Execution with { Reference = ReferenceMode.NoGrad } }),
        ("batched_winners_losers", "winners and losers in two forwards of B instead of one of 2B",
            fast with { Execution = fast.Execution with { BatchWinnersAndLosers = false } }),
        ("fused_attention", "explicit matmul-softmax attention instead of scaled_dot_product_attention",
            fast with { Kernel = AttentionKernel.MatmulSoftmax }),
        ("channels_last", "the opposite memory format of the fast setting (NHWC ↔ NCHW)",
            fast with { ChannelsLast = !fast.ChannelsLast }),
        ("flat_optimizer", "TorchSharp's per-parameter AdamW and clip_grad_norm_ instead of one flat buffer",
            fast with { FlatOptimizer = false }),
        ("log_every_k", "loss and every metric read back to the host after each step",
            fast with { SyncEveryStep = true }),
        ("threads_from_machine", "1 LibTorch thread instead of one per core",
            fast with { Threads = 1 }),
    ];

    public static List<LeverResult> Run(TextToImageModel model, IReadOnlyList<PreferencePair> pairs,
        AlignMethod method, StepLevers fast, int warmupSteps, int timedSteps, double flopsPerImage, double gemm,
        Action<string>? log = null) =>
        Levers(fast).Select(lever => RunOne(lever.Name, lever.OffMeans, lever.Off, model, pairs, method, fast,
            warmupSteps, timedSteps, flopsPerImage, gemm, log)).ToList();

    /// <summary>One lever: the fast setting, then the same step with <paramref name="off"/>.</summary>
    private static LeverResult RunOne(string name, string offMeans, StepLevers off, TextToImageModel model,
        IReadOnlyList<PreferencePair> pairs, AlignMethod method, StepLevers fast,
        int warmupSteps, int timedSteps, double flopsPerImage, double gemm, Action<string>? log = null)
    {
        var on = TrainingStepBenchmark.Time(model, pairs, method, fast, warmupSteps, timedSteps, flopsPerImage, gemm);
        var without = TrainingStepBenchmark.Time(model, pairs, method, off, warmupSteps, timedSteps,
            flopsPerImage, gemm);
        var result = new LeverResult(name, offMeans, on.StepSeconds, without.StepSeconds,
            without.StepSeconds / on.StepSeconds, on.PeakRssMiB, without.PeakRssMiB)
        {
            On = on,
            Off = without,
        };
        log?.Invoke($"  lever {name}: on {on.StepSeconds * 1000:F0} ms, off {without.StepSeconds * 1000:F0} ms "
            + $"→ ×{result.Speedup:F2}"
            + (on.PeakRssMiB is double a && without.PeakRssMiB is double z ? $"; peak RSS {a:F0} vs {z:F0} MiB" : "")
            + $"; optimizer {on.OptimizerSeconds * 1000:F1} vs {without.OptimizerSeconds * 1000:F1} ms");
        return result;
    }
}
