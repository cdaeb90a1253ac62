using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// The architecture of the embedded shapes-world model: the same diffusers UNet and CLIP text
/// encoder as Stable Diffusion, shrunk so pretraining, pair sampling and alignment all fit a
/// 2-core CPU in minutes. It diffuses 32×32 RGB pixels directly (no VAE).
/// </summary>
public static class ShapesModel
{
    /// <summary>
    /// The config used for <c>models/shapes-base</c>. Cosine betas rather than SD's scaled_linear:
    /// in pixel space scaled_linear leaves too much signal at t = T (ᾱ = 0.0047), and flat
    /// backgrounds then come out with a colour cast; cosine reaches ᾱ ≈ 0.
    /// </summary>
    public static ModelConfig Config(ShapesWorld world) => new()
    {
        ImageSize = 32,
        // Cross-attention only at 8×8 and in the mid block: the prompt sets global attributes
        // (colours, shape kind) that the low-resolution path carries; attention at 16×16 cost 2.4×
        // the forward time for no visible gain (measured on 2 cores: 112 vs 265 images/s).
        Unet = UNet2DConditionConfig.Tiny with
        {
            DownBlockTypes = ["DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"],
            UpBlockTypes = ["CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"],
        },
        TextEncoder = ClipTextConfig.Tiny with
        {
            VocabSize = world.Tokenizer.VocabularySize,
            MaxPositionEmbeddings = world.Tokenizer.MaxLength,
        },
        // Trailing spacing starts sampling at t = 999 where ᾱ ≈ 0, matching the pure-noise start;
        // clipping x̂0 to [-1, 1] is the usual guard for pixel-space models (diffusers' DDPM pixel pipelines do it).
        Scheduler = new NoiseScheduleConfig
        {
            BetaSchedule = BetaSchedule.SquaredCosCapV2,
            TimestepSpacing = TimestepSpacing.Trailing,
            ClipSample = true,
        },
        Tokenizer = ShapesTokenizer.RegistryName,
    };
}
