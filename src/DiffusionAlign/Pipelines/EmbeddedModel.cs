using DiffusionAlign.Models;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// The architecture of the embedded shapes-world model: the same diffusers UNet and CLIP text
/// encoder as Stable Diffusion, shrunk so pretraining, pair sampling and alignment all fit a
/// 2-core CPU in minutes. It diffuses 32×32 RGB pixels directly (no VAE).
/// </summary>
public static class EmbeddedModel
{
    /// <summary>
    /// The config used for <c>models/shapes-base</c>. Cosine betas rather than SD's scaled_linear:
    /// in pixel space scaled_linear leaves too much signal at t = T (ᾱ = 0.0047), and flat
    /// backgrounds then come out with a colour cast; cosine reaches ᾱ ≈ 0.
    /// </summary>
    public static ModelConfig Config(ShapesWorld world) => new()
    {
        ImageSize = 32,
        Unet = UNet2DConditionConfig.Tiny,
        TextEncoder = ClipTextConfig.Tiny with
        {
            VocabSize = world.Tokenizer.VocabularySize,
            MaxPositionEmbeddings = world.Tokenizer.MaxLength,
        },
        Scheduler = new NoiseScheduleConfig { BetaSchedule = BetaSchedule.SquaredCosCapV2 },
        Tokenizer = "shapes",
    };
}
