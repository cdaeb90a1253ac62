using System.Text.Json.Serialization;
using DiffusionAlign.Training;

namespace DiffusionAlign.Bench.StableDiffusion;

/// <summary>The "sd15" section of bench.json: Stable Diffusion 1.5's architecture at 256×256.</summary>
public sealed record StableDiffusionResults
{
    /// <summary>The section's key in bench.json.</summary>
    public const string Key = "sd15";

    [JsonPropertyName("model")] public string Model { get; init; } = "";

    [JsonPropertyName("image_size")] public int ImageSize { get; init; }

    [JsonPropertyName("latent_size")] public int LatentSize { get; init; }

    [JsonPropertyName("unet_parameters")] public long UnetParameters { get; init; }

    /// <summary>Exact multiply-add FLOPs (×2) of one UNet forward on one latent of the size that ran.</summary>
    [JsonPropertyName("unet_gflop_per_forward")] public double UnetGflopPerForward { get; init; }

    /// <summary>How step and sampling FLOPs are counted from <see cref="UnetGflopPerForward"/>.</summary>
    [JsonPropertyName("flop_convention")] public string FlopConvention { get; init; } = "";

    [JsonPropertyName("lora_rank")] public int LoraRank { get; init; }

    [JsonPropertyName("lora_targets")] public IReadOnlyList<string> LoraTargets { get; init; } = [];

    [JsonPropertyName("pairs_per_step")] public int PairsPerStep { get; init; }

    [JsonPropertyName("sampling_steps")] public int SamplingSteps { get; init; }

    [JsonPropertyName("guidance_scale")] public double GuidanceScale { get; init; }

    /// <summary>How the peaks were taken.</summary>
    [JsonPropertyName("memory_measurement")] public string MemoryMeasurement { get; init; } = "";

    [JsonPropertyName("bf16_probe")] public PrecisionProbe? Bf16Probe { get; init; }

    [JsonPropertyName("machine")] public Dictionary<string, string> Machine { get; init; } = new();

    [JsonPropertyName("section_seconds")] public double SectionSeconds { get; init; }

    [JsonPropertyName("cases")] public List<StableDiffusionCaseResult> Cases { get; init; } = new();
}

/// <summary>One configuration's measurements, or why it has none (<see cref="Error"/>).</summary>
public sealed record StableDiffusionCaseResult
{
    /// <summary>A result naming <paramref name="c"/>, with no measurements yet (or none, with an error).</summary>
    public static StableDiffusionCaseResult For(StableDiffusionCase c, string? error = null) => new()
    {
        Case = c.Name,
        Work = c.Work == StableDiffusionWork.AlignmentStep ? "alignment_step" : "sampling",
        Precision = c.Precision.ToString().ToLowerInvariant(),
        GradientCheckpointing = c.Work == StableDiffusionWork.AlignmentStep ? c.GradientCheckpointing : null,
        Error = error,
    };

    [JsonPropertyName("case")] public string Case { get; init; } = "";

    /// <summary><c>alignment_step</c> or <c>sampling</c>.</summary>
    [JsonPropertyName("work")] public string Work { get; init; } = "";

    [JsonPropertyName("precision")] public string Precision { get; init; } = "";

    [JsonPropertyName("gradient_checkpointing")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? GradientCheckpointing { get; init; }

    /// <summary>Why the configuration was not run or did not finish; null when it was measured.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }

    /// <summary>Building the model (random weights), adapters, precision and optimizer.</summary>
    [JsonPropertyName("setup_seconds")] public double? SetupSeconds { get; init; }

    [JsonPropertyName("warmup_steps")] public int? WarmupSteps { get; init; }

    [JsonPropertyName("warmup_seconds")] public double? WarmupSeconds { get; init; }

    [JsonPropertyName("timed_steps")] public int? TimedSteps { get; init; }

    [JsonPropertyName("step_seconds_each")] public List<double>? StepSecondsEach { get; init; }

    /// <summary>Median of the timed steps.</summary>
    [JsonPropertyName("step_seconds")] public double? StepSeconds { get; init; }

    /// <summary>The step's inputs: the pair's latents (VAE encoding), prompt states, noise (medians below).</summary>
    [JsonPropertyName("inputs_seconds")] public double? InputsSeconds { get; init; }

    [JsonPropertyName("reference_forward_seconds")] public double? ReferenceForwardSeconds { get; init; }

    [JsonPropertyName("policy_forward_seconds")] public double? PolicyForwardSeconds { get; init; }

    /// <summary>The loss and backward (with the recomputation under gradient checkpointing).</summary>
    [JsonPropertyName("backward_seconds")] public double? BackwardSeconds { get; init; }

    /// <summary>Clipping and AdamW's step.</summary>
    [JsonPropertyName("optimizer_seconds")] public double? OptimizerSeconds { get; init; }

    /// <summary>The UNet's phases: reference forward, policy forward, backward (median of their sum).</summary>
    [JsonPropertyName("unet_seconds")] public double? UnetSeconds { get; init; }

    [JsonPropertyName("denoise_seconds")] public double? DenoiseSeconds { get; init; }

    [JsonPropertyName("vae_decode_seconds")] public double? VaeDecodeSeconds { get; init; }

    [JsonPropertyName("sampling_seconds")] public double? SamplingSeconds { get; init; }

    /// <summary>UNet FLOPs of one step (or of the sampling's denoising) by the section's convention.</summary>
    [JsonPropertyName("unet_gflop")] public double? UnetGflop { get; init; }

    /// <summary><see cref="UnetGflop"/> over <see cref="UnetSeconds"/> (or the denoising's time).</summary>
    [JsonPropertyName("unet_gflops_per_second")] public double? UnetGflopsPerSecond { get; init; }

    [JsonPropertyName("baseline_rss_mib")] public double? BaselineRssMiB { get; init; }

    /// <summary>The highest RSS while the model was built (and converted, for bf16), before the reset.</summary>
    [JsonPropertyName("setup_peak_rss_mib")] public double? SetupPeakRssMiB { get; init; }

    /// <summary>RSS once the model is ready and freed heap pages are returned: the weights' resident cost.</summary>
    [JsonPropertyName("ready_rss_mib")] public double? ReadyRssMiB { get; init; }

    /// <summary>The highest RSS of the measured work alone (VmHWM reset when the model was ready).</summary>
    [JsonPropertyName("peak_rss_mib")] public double? PeakRssMiB { get; init; }

    /// <summary>What <see cref="MemoryEstimate.ForAlignment"/> says the step holds (alignment steps).</summary>
    [JsonPropertyName("estimate")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MemoryEstimateMiB? Estimate { get; init; }

    /// <summary>(Peak − the process before any model) over the estimate's total.</summary>
    [JsonPropertyName("peak_growth_over_estimate")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PeakGrowthOverEstimate => PeakRssMiB - BaselineRssMiB is double growth && Estimate is { } e
        ? growth / e.TotalMiB
        : null;

    [JsonPropertyName("load_average_at_end")] public double[]? LoadAverageAtEnd { get; init; }
}

/// <summary><see cref="MemoryEstimate"/> in MiB, as bench.json reports it.</summary>
public sealed record MemoryEstimateMiB(
    [property: JsonPropertyName("weights_mib")] double WeightsMiB,
    [property: JsonPropertyName("adapters_mib")] double AdaptersMiB,
    [property: JsonPropertyName("gradients_mib")] double GradientsMiB,
    [property: JsonPropertyName("optimizer_state_mib")] double OptimizerStateMiB,
    [property: JsonPropertyName("reference_copy_mib")] double ReferenceCopyMiB,
    [property: JsonPropertyName("activations_mib")] double ActivationsMiB,
    [property: JsonPropertyName("reference_forward_mib")] double ReferenceForwardMiB,
    [property: JsonPropertyName("vae_encode_mib")] double VaeEncodeMiB,
    [property: JsonPropertyName("optimizer_step_mib")] double OptimizerStepMiB,
    [property: JsonPropertyName("total_mib")] double TotalMiB)
{
    public static MemoryEstimateMiB From(MemoryEstimate e)
    {
        static double MiB(long bytes) => bytes / (1024.0 * 1024.0);
        return new MemoryEstimateMiB(MiB(e.WeightBytes), MiB(e.AdapterBytes), MiB(e.GradientBytes),
            MiB(e.OptimizerStateBytes), MiB(e.ReferenceCopyBytes), MiB(e.ActivationBytes),
            MiB(e.ReferenceForwardBytes), MiB(e.VaeEncodeBytes), MiB(e.OptimizerStepBytes), MiB(e.TotalBytes));
    }
}
