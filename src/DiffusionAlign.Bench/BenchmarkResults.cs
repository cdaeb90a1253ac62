using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Bench;

/// <summary>Timing of one training objective's step, split by phase.</summary>
public sealed record TrainingStepTiming(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("pairs_per_step")] int PairsPerStep,
    [property: JsonPropertyName("step_seconds")] double StepSeconds,
    [property: JsonPropertyName("pairs_per_second")] double PairsPerSecond,
    [property: JsonPropertyName("policy_forward_seconds")] double PolicyForwardSeconds,
    [property: JsonPropertyName("backward_seconds")] double BackwardSeconds,
    [property: JsonPropertyName("reference_forward_seconds")] double ReferenceForwardSeconds,
    [property: JsonPropertyName("optimizer_seconds")] double OptimizerSeconds,
    [property: JsonPropertyName("other_seconds")] double OtherSeconds,
    [property: JsonPropertyName("reference_share")] double ReferenceShare,
    [property: JsonPropertyName("gflops_per_second")] double GflopsPerSecond,
    [property: JsonPropertyName("fraction_of_gemm")] double FractionOfGemm)
{
    [JsonPropertyName("image_size")]
    public int ImageSize { get; init; }

    /// <summary>Untimed steps run first, until the process stopped growing (<see cref="SteadyState"/>).</summary>
    [JsonPropertyName("warmup_steps")]
    public int WarmupSteps { get; init; }

    /// <summary>
    /// Peak RSS of this configuration's steps alone, warm-up included (null where the peak cannot be reset).
    /// </summary>
    [JsonPropertyName("peak_rss_mib")]
    public double? PeakRssMiB { get; init; }

    /// <summary>
    /// File-backed part of the RSS after the timed steps: pages of the runtime's and LibTorch's code and data
    /// files.
    /// </summary>
    [JsonPropertyName("file_backed_rss_mib")]
    public double? FileBackedRssMiB { get; init; }

    /// <summary>
    /// True when the file-backed RSS did not change over the timed steps, so the peak's anonymous part is
    /// peak − file-backed.
    /// </summary>
    [JsonPropertyName("file_backed_steady")]
    public bool? FileBackedSteady { get; init; }

    /// <summary>malloc's heap after the timed steps (between steps: the step's tensors are freed).</summary>
    [JsonPropertyName("heap_after")]
    public Machine.HeapStatistics? Heap { get; init; }

    /// <summary>
    /// malloc's heap right after the first timed step's policy forward, when all kept activations are alive.
    /// </summary>
    [JsonPropertyName("heap_after_policy_forward")]
    public Machine.HeapStatistics? HeapAfterPolicyForward { get; init; }
}

/// <summary>A DSPO step under one glibc malloc mode (<c>glibc_default</c>: untouched).</summary>
public sealed record AllocatorTiming(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("image_size")] int ImageSize,
    [property: JsonPropertyName("pairs_per_step")] int PairsPerStep,
    [property: JsonPropertyName("step_seconds")] double StepSeconds,
    [property: JsonPropertyName("peak_rss_mib")] double? PeakRssMiB);

/// <summary>Our step against the PyTorch peer's identical step, timed in the same run.</summary>
public sealed record PeerComparison(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("ours_step_seconds")] double OursStepSeconds,
    [property: JsonPropertyName("peer_step_seconds")] double PeerStepSeconds,
    [property: JsonPropertyName("ours_over_peer")] double OursOverPeer,
    [property: JsonPropertyName("peer_run")] PeerStepTiming PeerRun);

/// <summary><c>bench.json</c>: one run's measurements, with the machine and settings they came from.</summary>
public sealed record BenchmarkResults
{
    [JsonPropertyName("machine")]
    public Dictionary<string, string> Machine { get; init; } = new();

    [JsonPropertyName("gemm_gflops_per_second")]
    public double GemmGflopsPerSecond { get; init; }

    /// <summary>
    /// GFLOP/s of each dense GEMM tried (matmul sizes, oneDNN's 1×1 convolution);
    /// <see cref="GemmGflopsPerSecond"/> is their best.
    /// </summary>
    [JsonPropertyName("gemm_gflops_by_size")]
    public Dictionary<string, double> GemmBySize { get; init; } = new();

    /// <summary>
    /// The same GEMMs measured at the start of the run; <see cref="GemmBySize"/> holds the better of this and
    /// <see cref="GemmLastPass"/>.
    /// </summary>
    [JsonPropertyName("gemm_gflops_first_pass")]
    public Dictionary<string, double> GemmFirstPass { get; init; } = new();

    /// <summary>The same GEMMs measured again at the end of the run.</summary>
    [JsonPropertyName("gemm_gflops_last_pass")]
    public Dictionary<string, double> GemmLastPass { get; init; } = new();

    /// <summary>A large 3×3 convolution's nominal GFLOP/s (2·MACs of the direct algorithm), for reference.</summary>
    [JsonPropertyName("conv3x3_gflops_per_second")]
    public double ConvGflopsPerSecond { get; init; }

    [JsonPropertyName("unet_gflops_per_forward")]
    public double UnetGflopsPerForward { get; init; }

    [JsonPropertyName("unet_parameters")]
    public long UnetParameters { get; init; }

    [JsonPropertyName("training")]
    public List<TrainingStepTiming> Training { get; init; } = new();

    [JsonPropertyName("sampling_images_per_second")]
    public double SamplingImagesPerSecond { get; init; }

    [JsonPropertyName("sampling_unet_forwards_per_second")]
    public double SamplingForwardsPerSecond { get; init; }

    [JsonPropertyName("sampling_gflops_per_second")]
    public double SamplingGflopsPerSecond { get; init; }

    [JsonPropertyName("sampling_fraction_of_gemm")]
    public double SamplingFractionOfGemm { get; init; }

    [JsonPropertyName("peak_rss_mib")]
    public double? PeakRssMiB { get; init; }

    [JsonPropertyName("memory")]
    public MemoryBudget? Memory { get; init; }

    [JsonPropertyName("levers")]
    public List<LeverResult> Levers { get; init; } = new();

    [JsonPropertyName("allocator")]
    public List<AllocatorTiming> Allocator { get; init; } = new();

    [JsonPropertyName("scaling")]
    public List<ScalingPoint> Scaling { get; init; } = new();

    [JsonPropertyName("peer_check")]
    public PeerCheckResult? PeerCheck { get; init; }

    [JsonPropertyName("peer")]
    public List<PeerComparison> Peer { get; init; } = new();

    [JsonPropertyName("targets")]
    public List<TargetCheck> Targets { get; init; } = new();

    [JsonPropertyName("settings")]
    public Dictionary<string, string> Settings { get; init; } = new();

    /// <summary>
    /// Writes the results to <paramref name="path"/> atomically, keeping the sections other runs wrote there
    /// (<c>dalign bench --sd15</c>'s).
    /// </summary>
    public void Save(string path) =>
        BenchJson.WriteKeeping(path, JsonSerializer.SerializeToNode(this)!.AsObject(),
            [StableDiffusion.StableDiffusionResults.Key]);
}
