using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Models;

/// <summary>
/// The architecture of a <see cref="UNet2DConditionModel"/>, with the keys and defaults of diffusers'
/// <c>UNet2DConditionModel</c> config.json, so a Stable Diffusion 1.x/2.x <c>unet/config.json</c> reads
/// directly and our own models write the same format.
/// </summary>
/// <remarks>
/// diffusers quirk kept on purpose: <see cref="AttentionHeadDim"/> is the number of attention
/// heads, not their width (SD1.5: 8 heads; SD2.x: [5, 10, 20, 20] heads of 64 channels).
/// </remarks>
public sealed record UNet2DConditionConfig
{
    public const string CrossAttnDownBlock = "CrossAttnDownBlock2D";
    public const string PlainDownBlock = "DownBlock2D";
    public const string CrossAttnUpBlock = "CrossAttnUpBlock2D";
    public const string PlainUpBlock = "UpBlock2D";
    public const string CrossAttnMidBlock = "UNetMidBlock2DCrossAttn";

    /// <summary>Height and width of the sample the model was trained on (latent or pixel side).</summary>
    [JsonPropertyName("sample_size")] public int? SampleSize { get; init; }

    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;

    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 4;

    /// <summary>Maps a sample in [0, 1] to [-1, 1] before the first convolution.</summary>
    [JsonPropertyName("center_input_sample")] public bool CenterInputSample { get; init; }

    /// <summary>Puts the cosine half of the timestep embedding first.</summary>
    [JsonPropertyName("flip_sin_to_cos")] public bool FlipSinToCos { get; init; } = true;

    /// <summary>The timestep embedding's <c>downscale_freq_shift</c>.</summary>
    [JsonPropertyName("freq_shift")] public int FreqShift { get; init; }

    [JsonPropertyName("down_block_types")]
    public IReadOnlyList<string> DownBlockTypes { get; init; } =
        [CrossAttnDownBlock, CrossAttnDownBlock, CrossAttnDownBlock, PlainDownBlock];

    [JsonPropertyName("mid_block_type")] public string? MidBlockType { get; init; } = CrossAttnMidBlock;

    [JsonPropertyName("up_block_types")]
    public IReadOnlyList<string> UpBlockTypes { get; init; } =
        [PlainUpBlock, CrossAttnUpBlock, CrossAttnUpBlock, CrossAttnUpBlock];

    /// <summary>When true the first attention of each transformer block also attends to the prompt.</summary>
    [JsonPropertyName("only_cross_attention")] public PerBlock<bool> OnlyCrossAttention { get; init; } = false;

    [JsonPropertyName("block_out_channels")]
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [320, 640, 1280, 1280];

    /// <summary>Resnets per down block; up blocks have one more, for the extra skip connection.</summary>
    [JsonPropertyName("layers_per_block")] public PerBlock<int> LayersPerBlock { get; init; } = 2;

    [JsonPropertyName("downsample_padding")] public int DownsamplePadding { get; init; } = 1;

    /// <summary>Divides the output of the middle block's resnets.</summary>
    [JsonPropertyName("mid_block_scale_factor")] public double MidBlockScaleFactor { get; init; } = 1.0;

    [JsonPropertyName("dropout")] public double Dropout { get; init; }

    /// <summary>Activation of resnets, time embedding and output: silu (= swish), mish or gelu.</summary>
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";

    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;

    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-5;

    /// <summary>Width of the prompt embeddings (768 for CLIP ViT-L/14, 1024 for OpenCLIP ViT-H).</summary>
    [JsonPropertyName("cross_attention_dim")] public PerBlock<int> CrossAttentionDim { get; init; } = 1280;

    [JsonPropertyName("transformer_layers_per_block")]
    public PerBlock<int> TransformerLayersPerBlock { get; init; } = 1;

    /// <summary>Number of attention heads per block (diffusers' historical misnomer).</summary>
    [JsonPropertyName("attention_head_dim")] public PerBlock<int> AttentionHeadDim { get; init; } = 8;

    /// <summary>Only <c>false</c> is supported.</summary>
    [JsonPropertyName("dual_cross_attention")] public bool DualCrossAttention { get; init; }

    /// <summary>Linear (SD2.x) instead of 1x1-convolution (SD1.x) projections around the transformers.</summary>
    [JsonPropertyName("use_linear_projection")] public bool UseLinearProjection { get; init; }

    /// <summary>
    /// Accepted for compatibility. Like diffusers' default scaled-dot-product processor, attention is
    /// computed in the input dtype either way.
    /// </summary>
    [JsonPropertyName("upcast_attention")] public bool UpcastAttention { get; init; }

    /// <summary>Number of down (and up) blocks.</summary>
    [JsonIgnore] public int BlockCount => BlockOutChannels.Count;

    /// <summary>
    /// A lower bound on the layers the UNet has (resnets and transformer blocks per block, and the mid block),
    /// each holding at least one weight: a checkpoint with fewer tensors cannot fit, which is known before
    /// building even a META copy of a damaged config's millions of layers.
    /// </summary>
    /// <remarks>In doubles: a damaged config's counts multiply past a long's range.</remarks>
    [JsonIgnore]
    public double LayerCount => Enumerable.Range(0, BlockCount)
        .Sum(i => (2.0 * LayersPerBlock.For(i) + 1) * (1.0 + Math.Max(0, TransformerLayersPerBlock.For(i))));

    /// <summary>Width of the timestep embedding fed to every resnet: four times the first block's width.</summary>
    [JsonIgnore] public int TimeEmbedDim => BlockOutChannels[0] * 4;

    /// <summary>
    /// The diffusers config of <c>runwayml/stable-diffusion-v1-5</c>'s UNet (859,520,964 parameters).
    /// </summary>
    public static UNet2DConditionConfig StableDiffusion15 { get; } = new()
    {
        SampleSize = 64,
        CrossAttentionDim = 768,
    };

    /// <summary>
    /// A small pixel-space UNet for 32x32 RGB images that trains on a CPU: three resolutions
    /// (32, 16, 8), cross-attention at 16 and 8, prompt width 64, 4 heads.
    /// </summary>
    public static UNet2DConditionConfig Tiny { get; } = new()
    {
        SampleSize = 32,
        InChannels = 3,
        OutChannels = 3,
        BlockOutChannels = [32, 64, 64],
        LayersPerBlock = 1,
        DownBlockTypes = [PlainDownBlock, CrossAttnDownBlock, CrossAttnDownBlock],
        UpBlockTypes = [CrossAttnUpBlock, CrossAttnUpBlock, PlainUpBlock],
        CrossAttentionDim = 64,
        AttentionHeadDim = 4,
        NormNumGroups = 8,
    };

    // Keys of diffusers' config we do not model, with the value that keeps the architecture we build.
    private static readonly Dictionary<string, JsonNode?> NeutralValues = new()
    {
        ["num_attention_heads"] = null,
        ["class_embed_type"] = null,
        ["num_class_embeds"] = null,
        ["class_embeddings_concat"] = false,
        ["projection_class_embeddings_input_dim"] = null,
        ["addition_embed_type"] = null,
        ["addition_time_embed_dim"] = null,
        ["encoder_hid_dim"] = null,
        ["encoder_hid_dim_type"] = null,
        ["time_embedding_type"] = "positional",
        ["time_embedding_dim"] = null,
        ["time_embedding_act_fn"] = null,
        ["timestep_post_act"] = null,
        ["time_cond_proj_dim"] = null,
        ["resnet_time_scale_shift"] = "default",
        ["conv_in_kernel"] = 3,
        ["conv_out_kernel"] = 3,
        ["attention_type"] = "default",
        ["reverse_transformer_layers_per_block"] = null,
    };

    // Keys diffusers reads only for parts Validate refuses, so no value of theirs changes the UNet we build:
    // the ResnetDownsample/SimpleCrossAttn blocks (the first four) and addition_embed_type "text".
    private static readonly HashSet<string> InertKeys =
    [
        "resnet_skip_time_act", "resnet_out_scale_factor", "cross_attention_norm", "mid_block_only_cross_attention",
        "addition_embed_type_num_heads",
    ];

    /// <summary>
    /// Reads a diffusers <c>config.json</c> text; keys we do not use are ignored with a
    /// <see cref="Runtime.Warnings"/> line naming <paramref name="what"/>.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Malformed JSON or an architecture we do not implement.</exception>
    public static UNet2DConditionConfig FromJson(string json, string what = "UNet config")
    {
        var config = ConfigJson.Read<UNet2DConditionConfig>(json, what, NeutralValues, InertKeys);
        return ConfigJson.Validated(config, what, "UNet config", config.Validate);
    }

    /// <summary>Reads a diffusers <c>unet/config.json</c> file.</summary>
    public static UNet2DConditionConfig Load(string path) =>
        FromJson(ConfigJson.ReadFile(path, "UNet config"), $"UNet config {path}");

    /// <summary>Writes the config in diffusers' <c>config.json</c> form.</summary>
    public string ToJson() => ConfigJson.Write(this);

    /// <summary>Writes the config to <paramref name="path"/> in diffusers' <c>config.json</c> form.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Checks that the config describes a UNet we can build.</summary>
    /// <exception cref="DiffusionAlignException">With the first problem found.</exception>
    public void Validate()
    {
        if (BlockOutChannels is null || BlockOutChannels.Count == 0)
            Fail("block_out_channels must list at least one width");
        if (DownBlockTypes is null || DownBlockTypes.Count != BlockCount)
            Fail($"down_block_types must have one entry per block_out_channels entry ({BlockCount})");
        if (UpBlockTypes is null || UpBlockTypes.Count != BlockCount)
            Fail($"up_block_types must have one entry per block_out_channels entry ({BlockCount})");
        if (InChannels <= 0 || OutChannels <= 0) Fail("in_channels and out_channels must be positive");
        if (NormNumGroups <= 0) Fail("norm_num_groups must be positive");
        if (NormEps <= 0) Fail("norm_eps must be positive");
        if (DownsamplePadding < 0) Fail("downsample_padding must not be negative");
        if (Dropout is < 0 or >= 1) Fail("dropout must be in [0, 1)");
        if (MidBlockScaleFactor <= 0) Fail("mid_block_scale_factor must be positive");
        if (DualCrossAttention) Fail("dual_cross_attention = true is not implemented");
        if (MidBlockType != CrossAttnMidBlock)
            Fail($"mid_block_type \"{MidBlockType ?? "null"}\" is not implemented (supported: {CrossAttnMidBlock})");
        if (!Activation.IsKnown(ActFn))
            Fail($"act_fn \"{ActFn}\" is not implemented (supported: {string.Join(", ", Activation.Names)})");

        CheckPerBlock(OnlyCrossAttention, "only_cross_attention");
        CheckPerBlock(LayersPerBlock, "layers_per_block");
        CheckPerBlock(CrossAttentionDim, "cross_attention_dim");
        CheckPerBlock(TransformerLayersPerBlock, "transformer_layers_per_block");
        CheckPerBlock(AttentionHeadDim, "attention_head_dim");

        for (var i = 0; i < BlockCount; i++)
        {
            var channels = BlockOutChannels[i];
            if (channels <= 0) Fail($"block_out_channels[{i}] must be positive");
            if (channels % NormNumGroups != 0)
                Fail($"block_out_channels[{i}] = {channels} is not divisible by norm_num_groups = {NormNumGroups}");
            if (LayersPerBlock.For(i) <= 0) Fail($"layers_per_block for block {i} must be positive");
            if (DownBlockTypes[i] is not (CrossAttnDownBlock or PlainDownBlock))
                Fail($"down_block_types[{i}] \"{DownBlockTypes[i]}\" is not implemented "
                    + $"(supported: {CrossAttnDownBlock}, {PlainDownBlock})");
            if (UpBlockTypes[i] is not (CrossAttnUpBlock or PlainUpBlock))
                Fail($"up_block_types[{i}] \"{UpBlockTypes[i]}\" is not implemented "
                    + $"(supported: {CrossAttnUpBlock}, {PlainUpBlock})");

            // Blocks with attention, and the middle block (which uses the last block's settings), need valid heads.
            var hasAttention = DownBlockTypes[i] == CrossAttnDownBlock
                || UpBlockTypes[BlockCount - 1 - i] == CrossAttnUpBlock
                || i == BlockCount - 1;
            if (!hasAttention) continue;
            var heads = AttentionHeadDim.For(i);
            if (heads <= 0 || channels % heads != 0)
                Fail($"attention_head_dim (the number of heads) {heads} for block {i} "
                    + $"must divide its {channels} channels");
            if (CrossAttentionDim.For(i) <= 0) Fail($"cross_attention_dim for block {i} must be positive");
            if (TransformerLayersPerBlock.For(i) <= 0)
                Fail($"transformer_layers_per_block for block {i} must be positive");
        }
    }

    private void CheckPerBlock<T>(PerBlock<T>? value, string key)
        where T : notnull
    {
        if (value is null) Fail($"{key} must not be null");
        if (!value.IsUniform && value.Values.Count != BlockCount)
            Fail($"{key} lists {value.Values.Count} values but there are {BlockCount} blocks");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string problem) => throw new DiffusionAlignException($"UNet config: {problem}");
}
