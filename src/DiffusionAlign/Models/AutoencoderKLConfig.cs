using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Models;

/// <summary>
/// The architecture of an <see cref="AutoencoderKL"/>, with the keys and defaults of diffusers'
/// <c>AutoencoderKL</c> config.json, so a Stable Diffusion <c>vae/config.json</c> reads directly.
/// </summary>
public sealed record AutoencoderKLConfig
{
    public const string DownEncoderBlock = "DownEncoderBlock2D";
    public const string UpDecoderBlock = "UpDecoderBlock2D";

    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;

    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 3;

    [JsonPropertyName("down_block_types")]
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [DownEncoderBlock];

    [JsonPropertyName("up_block_types")] public IReadOnlyList<string> UpBlockTypes { get; init; } = [UpDecoderBlock];

    [JsonPropertyName("block_out_channels")] public IReadOnlyList<int> BlockOutChannels { get; init; } = [64];

    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 1;

    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";

    [JsonPropertyName("latent_channels")] public int LatentChannels { get; init; } = 4;

    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;

    /// <summary>Side of the images the autoencoder was trained on, in pixels.</summary>
    [JsonPropertyName("sample_size")] public int SampleSize { get; init; } = 32;

    /// <summary>
    /// Multiplies latents before the UNet sees them (SD1.5: 0.18215) and divides them before decoding.
    /// </summary>
    [JsonPropertyName("scaling_factor")] public double ScalingFactor { get; init; } = 0.18215;

    /// <summary>Whether diffusers runs this VAE in float32 even in a half-precision pipeline.</summary>
    [JsonPropertyName("force_upcast")] public bool ForceUpcast { get; init; } = true;

    /// <summary>How many times the encoder halves the image side: one less than the number of blocks.</summary>
    [JsonIgnore] public int DownscaleFactor => 1 << (BlockOutChannels.Count - 1);

    /// <summary>A lower bound on the resnets of encoder and decoder (see UNet2DConditionConfig.LayerCount).</summary>
    [JsonIgnore] public double LayerCount => 2.0 * LayersPerBlock * BlockOutChannels.Count;

    /// <summary>Stable Diffusion 1.x's VAE (<c>vae/config.json</c> of runwayml/stable-diffusion-v1-5).</summary>
    public static AutoencoderKLConfig StableDiffusion15 { get; } = new()
    {
        DownBlockTypes = [DownEncoderBlock, DownEncoderBlock, DownEncoderBlock, DownEncoderBlock],
        UpBlockTypes = [UpDecoderBlock, UpDecoderBlock, UpDecoderBlock, UpDecoderBlock],
        BlockOutChannels = [128, 256, 512, 512],
        LayersPerBlock = 2,
        SampleSize = 512,
    };

    // Keys of diffusers' config we do not model, with the value that keeps the architecture we build.
    private static readonly Dictionary<string, JsonNode?> NeutralValues = new()
    {
        ["use_quant_conv"] = true,
        ["use_post_quant_conv"] = true,
        ["mid_block_add_attention"] = true,
        // Set, they change how pipelines map latents to the UNet's inputs (SD3 and Flux shift, some SDXL
        // finetunes standardise per channel); SD1.x/2.x leave them null and only scale.
        ["shift_factor"] = null,
        ["latents_mean"] = null,
        ["latents_std"] = null,
    };

    /// <summary>
    /// Reads a diffusers <c>vae/config.json</c> text; keys we do not use are ignored with a
    /// <see cref="Runtime.Warnings"/> line naming <paramref name="what"/>.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Malformed JSON or an architecture we do not implement.</exception>
    public static AutoencoderKLConfig FromJson(string json, string what = "VAE config")
    {
        var config = ConfigJson.Read<AutoencoderKLConfig>(json, what, NeutralValues);
        return ConfigJson.Validated(config, what, "VAE config", config.Validate);
    }

    /// <summary>Reads a diffusers <c>vae/config.json</c> file.</summary>
    public static AutoencoderKLConfig Load(string path) =>
        FromJson(ConfigJson.ReadFile(path, "VAE config"), $"VAE config {path}");

    /// <summary>Writes the config in diffusers' <c>config.json</c> form.</summary>
    public string ToJson() => ConfigJson.Write(this);

    /// <exception cref="DiffusionAlignException">With the first problem found.</exception>
    public void Validate()
    {
        int blocks = BlockOutChannels?.Count ?? 0;
        if (blocks == 0) Fail("block_out_channels must list at least one width");
        if (DownBlockTypes is null || DownBlockTypes.Count != blocks || DownBlockTypes.Any(t => t != DownEncoderBlock))
            Fail($"down_block_types must be {blocks} × {DownEncoderBlock}");
        if (UpBlockTypes is null || UpBlockTypes.Count != blocks || UpBlockTypes.Any(t => t != UpDecoderBlock))
            Fail($"up_block_types must be {blocks} × {UpDecoderBlock}");
        if (InChannels <= 0 || OutChannels <= 0 || LatentChannels <= 0)
            Fail("in_channels, out_channels and latent_channels must be positive");
        if (LayersPerBlock <= 0) Fail("layers_per_block must be positive");
        if (NormNumGroups <= 0 || BlockOutChannels!.Any(c => c <= 0 || c % NormNumGroups != 0))
            Fail($"every block_out_channels entry must be a positive multiple of norm_num_groups ({NormNumGroups})");
        if (!(ScalingFactor > 0)) Fail("scaling_factor must be positive");
        if (!Activation.IsKnown(ActFn))
            Fail($"act_fn \"{ActFn}\" is not implemented (supported: {string.Join(", ", Activation.Names)})");
    }

    private static void Fail(string message) => throw new DiffusionAlignException($"VAE config: {message}");
}
