using DiffusionAlign.Models;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Training;

namespace DiffusionAlign.Bench.StableDiffusion;

/// <summary>What one configuration of the section measures: an alignment step, or sampling one image.</summary>
public enum StableDiffusionWork
{
    AlignmentStep,
    Sampling,
}

/// <summary>One configuration of the section, run on its own (in a fresh process under <c>dalign bench</c>).</summary>
public sealed record StableDiffusionCase(string Name, StableDiffusionWork Work, TrainingPrecision Precision,
    bool GradientCheckpointing = false)
{
    /// <summary>
    /// The section's configurations, float32 first: the bfloat16 ones are run only when the float32 timings
    /// and the bfloat16 probe say they fit in the time left.
    /// </summary>
    public static IReadOnlyList<StableDiffusionCase> All { get; } =
    [
        new("align_fp32", StableDiffusionWork.AlignmentStep, TrainingPrecision.Fp32),
        new("align_fp32_checkpointing", StableDiffusionWork.AlignmentStep, TrainingPrecision.Fp32, true),
        new("sample_fp32", StableDiffusionWork.Sampling, TrainingPrecision.Fp32),
        new("align_bf16", StableDiffusionWork.AlignmentStep, TrainingPrecision.Bf16),
        new("align_bf16_checkpointing", StableDiffusionWork.AlignmentStep, TrainingPrecision.Bf16, true),
        new("sample_bf16", StableDiffusionWork.Sampling, TrainingPrecision.Bf16),
    ];

    /// <exception cref="DiffusionAlignException">No configuration has that name.</exception>
    public static StableDiffusionCase Named(string name) =>
        All.FirstOrDefault(c => c.Name == name)
        ?? throw new DiffusionAlignException(
            $"unknown configuration '{name}' (known: {string.Join(", ", All.Select(c => c.Name))})");

    /// <summary>The float32 configuration with the same work and checkpointing (itself for a float32 one).</summary>
    public StableDiffusionCase Fp32Counterpart => All.First(c =>
        c.Work == Work && c.GradientCheckpointing == GradientCheckpointing && c.Precision == TrainingPrecision.Fp32);
}

/// <summary>
/// Sizes of the Stable Diffusion section: the SD1.5 architecture (random weights, seeded) at 256×256, one
/// LoRA DSPO step on one pair, and a 20-step guided DDIM sample of one image.
/// </summary>
public sealed record StableDiffusionBenchConfig
{
    /// <summary>
    /// The model: SD1.5's UNet, VAE, text encoder and scheduler. The UNet keeps SD1.5's own sample_size (64):
    /// the images here are smaller, so every analysis takes the latents' real side.
    /// </summary>
    public ModelConfig Model { get; init; } = StableDiffusion15(256);

    /// <summary>Seed of the random weights.</summary>
    public long Seed { get; init; }

    public int LoraRank { get; init; } = 4;

    public int PairsPerStep { get; init; } = 1;

    public int WarmupSteps { get; init; } = 1;

    /// <summary>Timed steps after the warm-up, at most; the median is reported.</summary>
    public int TimedSteps { get; init; } = 3;

    /// <summary>Timed steps stop once one more would end past this many seconds of them (one is always run).</summary>
    public double TimedSecondsPerCase { get; init; } = 200;

    public int SamplingSteps { get; init; } = 20;

    public double GuidanceScale { get; init; } = 7.5;

    /// <summary>The whole section's time limit: configurations that would end past it are not run.</summary>
    public double SectionMinutes { get; init; } = 25;

    /// <summary>
    /// Channels and side of the 3×3 convolution that compares bfloat16 with float32 (SD1.5's first level).
    /// </summary>
    public int ProbeChannels { get; init; } = 320;

    public int ProbeSide { get; init; } = 32;

    /// <summary>The alignment recipe of a case: DSPO on LoRA adapters, as the section measures it.</summary>
    public AlignConfig AlignConfigFor(StableDiffusionCase c) => AlignConfig.DefaultsFor(Objectives.AlignMethod.Dspo)
        with
        {
            BatchSize = PairsPerStep,
            Lora = new LoraConfig { Rank = LoraRank },
            Precision = c.Precision,
            GradientCheckpointing = c.GradientCheckpointing,
            Seed = Seed,
        };

    /// <summary>
    /// Stable Diffusion 1.5's architecture (<c>runwayml/stable-diffusion-v1-5</c>'s configs) for
    /// <paramref name="imageSize"/>-pixel images, with <see cref="HashingTokenizer"/> in place of CLIP's.
    /// </summary>
    public static ModelConfig StableDiffusion15(int imageSize)
    {
        HashingTokenizer.Register();
        return new ModelConfig
        {
            Format = ModelConfig.DiffusersFormat,
            ImageSize = imageSize,
            Unet = UNet2DConditionConfig.StableDiffusion15,
            Vae = AutoencoderKLConfig.StableDiffusion15,
            TextEncoder = ClipTextConfig.StableDiffusion15,
            Scheduler = new NoiseScheduleConfig(), // SD1.x's DDIM settings are the defaults
            Tokenizer = HashingTokenizer.RegistryName,
        };
    }
}
