using System.Text.Json.Serialization;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Schedulers;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// The architecture of a <see cref="TextToImageModel"/>, and the <c>config.json</c> of a DiffusionAlign
/// pixel model folder: everything needed to rebuild the modules before loading <c>model.safetensors</c>
/// (UNet weights under <c>unet.</c>, text encoder weights under <c>text_encoder.</c>, both with
/// diffusers/transformers names). A latent model read from a diffusers folder has a <see cref="Vae"/>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Identifies the folder layout; bumped if it ever changes incompatibly.</summary>
    [JsonPropertyName("format")]
    public string Format { get; init; } = CurrentFormat;

    /// <summary>
    /// Side of the square images the model generates and trains on, in pixels (for a latent model the UNet's
    /// <c>sample_size</c> times the VAE's downscale factor).
    /// </summary>
    [JsonPropertyName("image_size")]
    public int ImageSize { get; init; } = 32;

    [JsonPropertyName("unet")]
    public required UNet2DConditionConfig Unet { get; init; }

    [JsonPropertyName("text_encoder")]
    public required ClipTextConfig TextEncoder { get; init; }

    [JsonPropertyName("scheduler")]
    public required NoiseScheduleConfig Scheduler { get; init; }

    /// <summary>
    /// The name under which <see cref="Text.TokenizerRegistry"/> knows the tokenizer that turns
    /// prompts into ids ("shapes" for the embedded world).
    /// </summary>
    [JsonPropertyName("tokenizer")]
    public required string Tokenizer { get; init; }

    /// <summary>The VAE of a latent model; null for a model that denoises pixels.</summary>
    [JsonPropertyName("vae")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AutoencoderKLConfig? Vae { get; init; }

    /// <summary>The LoRA adapters the model carries, if any (their weights are in the model's weights).</summary>
    [JsonPropertyName("lora")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LoraConfig? Lora { get; init; }

    /// <summary>How the weights were made (command, recipe, seed), so results can be traced and rerun.</summary>
    [JsonPropertyName("provenance")]
    public Dictionary<string, string> Provenance { get; init; } = new();

    public const string CurrentFormat = "dalign-pixel-diffusion-v1";

    /// <summary>The format of a model read from a diffusers folder.</summary>
    public const string DiffusersFormat = "diffusers";

    /// <summary>
    /// The same architecture for <paramref name="size"/>×<paramref name="size"/> images: the UNet is
    /// fully convolutional, so only <c>image_size</c> and the UNet's <c>sample_size</c> change.
    /// </summary>
    public ModelConfig AtImageSize(int size) => this with { ImageSize = size, Unet = Unet with { SampleSize = size } };
}
