using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Models;

/// <summary>
/// The architecture of a <see cref="ClipTextModel"/>, with the keys of transformers' <c>CLIPTextConfig</c>
/// config.json, so Stable Diffusion's <c>text_encoder/config.json</c> reads directly (keys that cannot change
/// the hidden states, such as <c>projection_dim</c> or token ids, are ignored).
/// </summary>
public sealed record ClipTextConfig
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 49408;

    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 512;

    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 2048;

    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;

    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 8;

    /// <summary>Longest token sequence (77 for Stable Diffusion).</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 77;

    /// <summary>MLP activation: quick_gelu (OpenAI CLIP, SD1.x) or gelu (OpenCLIP, SD2.x).</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";

    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>Scales every initial weight's standard deviation (transformers' <c>initializer_factor</c>).</summary>
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; init; } = 1.0;

    /// <summary>
    /// CLIP ViT-L/14's text tower, the text encoder of Stable Diffusion 1.x (123,060,480 parameters).
    /// </summary>
    public static ClipTextConfig StableDiffusion15 { get; } = new()
    {
        VocabSize = 49408,
        HiddenSize = 768,
        IntermediateSize = 3072,
        NumHiddenLayers = 12,
        NumAttentionHeads = 12,
        MaxPositionEmbeddings = 77,
        HiddenAct = "quick_gelu",
    };

    /// <summary>A two-layer text encoder for a small vocabulary and short prompts, trainable on a CPU.</summary>
    public static ClipTextConfig Tiny { get; } = new()
    {
        VocabSize = 32,
        HiddenSize = 64,
        IntermediateSize = 256,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        MaxPositionEmbeddings = 16,
        HiddenAct = "quick_gelu",
    };

    private static readonly Dictionary<string, JsonNode?> NeutralValues = [];

    // Keys of transformers' CLIPTextConfig that cannot change the hidden states we compute: token ids (the
    // tokenizer's business; we return no pooled output, where transformers uses eos_token_id), the width of
    // CLIPTextModelWithProjection's head, an init range CLIP's initialisation does not read, and dropout
    // (we build none; the text encoder stays frozen while aligning).
    private static readonly HashSet<string> InertKeys =
    [
        "bos_token_id", "eos_token_id", "pad_token_id", "projection_dim", "initializer_range",
        "attention_dropout", "dropout",
    ];

    /// <summary>
    /// Reads a transformers <c>config.json</c> text; keys we do not use are ignored with a
    /// <see cref="Runtime.Warnings"/> line naming <paramref name="what"/>.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Malformed JSON or an architecture we do not implement.</exception>
    public static ClipTextConfig FromJson(string json, string what = "CLIP text config")
    {
        var config = ConfigJson.Read<ClipTextConfig>(json, what, NeutralValues, InertKeys);
        return ConfigJson.Validated(config, what, "CLIP text config", config.Validate);
    }

    /// <summary>Reads a transformers <c>text_encoder/config.json</c> file.</summary>
    public static ClipTextConfig Load(string path) =>
        FromJson(ConfigJson.ReadFile(path, "CLIP text config"), $"CLIP text config {path}");

    /// <summary>Writes the config in transformers' <c>config.json</c> form.</summary>
    public string ToJson() => ConfigJson.Write(this);

    /// <summary>Writes the config to <paramref name="path"/> in transformers' <c>config.json</c> form.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Checks that the config describes a text encoder we can build.</summary>
    /// <exception cref="DiffusionAlignException">With the first problem found.</exception>
    public void Validate()
    {
        if (VocabSize <= 0 || HiddenSize <= 0 || IntermediateSize <= 0 || NumHiddenLayers <= 0
            || MaxPositionEmbeddings <= 0)
            Fail("vocab_size, hidden_size, intermediate_size, num_hidden_layers and max_position_embeddings "
                + "must be positive");
        if (NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            Fail($"num_attention_heads = {NumAttentionHeads} must divide hidden_size = {HiddenSize}");
        if (LayerNormEps <= 0) Fail("layer_norm_eps must be positive");
        if (InitializerFactor <= 0) Fail("initializer_factor must be positive");
        if (HiddenAct is not ("quick_gelu" or "gelu"))
            Fail($"hidden_act \"{HiddenAct}\" is not implemented (supported: quick_gelu, gelu)");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string problem) => throw new DiffusionAlignException($"CLIP text config: {problem}");
}
