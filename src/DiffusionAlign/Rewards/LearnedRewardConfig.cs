// The architecture of a learned reward model, as the config.json of its folder.
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DiffusionAlign.Models;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>
/// The architecture of a <see cref="LearnedRewardModel"/>, saved as its folder's <c>config.json</c> (snake_case
/// keys, like the diffusion models' configs). The defaults are the one home of the reward model's sizes.
/// </summary>
public sealed record LearnedRewardConfig
{
    /// <summary>Written into config.json so a folder of another kind is recognised and refused.</summary>
    public const string ClassName = "LearnedRewardModel";

    [JsonPropertyName("_class_name")] public string Class { get; init; } = ClassName;

    /// <summary>Square image side the model scores at (the shapes world renders 32×32).</summary>
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 32;

    /// <summary>
    /// Output channels of the image tower's 3×3 convolutions: the first keeps the resolution, each later one
    /// halves it (stride 2), so the flattened map keeps where things are (centring and size are rewarded).
    /// </summary>
    [JsonPropertyName("channels")] public int[] Channels { get; init; } = [8, 16, 32];

    /// <summary>Width of the image features, the prompt features and the joint layer.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 32;

    /// <summary>Size of each token's embedding; the prompt tower concatenates them in order.</summary>
    [JsonPropertyName("token_embedding_size")] public int TokenEmbeddingSize { get; init; } = 16;

    /// <summary>The tokenizer's name in <see cref="Text.TokenizerRegistry"/>.</summary>
    [JsonPropertyName("tokenizer")] public string Tokenizer { get; init; } = ShapesTokenizer.RegistryName;

    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = new ShapesTokenizer().VocabularySize;

    [JsonPropertyName("max_prompt_tokens")] public int MaxPromptTokens { get; init; } = new ShapesTokenizer().MaxLength;

    /// <summary>Side of the image tower's last feature map.</summary>
    [JsonIgnore] public int FeatureMapSize => ImageSize >> (Channels.Length - 1);

    /// <exception cref="DiffusionAlignException">A size that cannot build the network.</exception>
    public void Validate()
    {
        const string kind = "reward model config";
        if (Class != ClassName)
            throw new DiffusionAlignException($"{kind}: _class_name is '{Class}', not {ClassName}");
        if (Channels is null || Channels.Length == 0 || Channels.Any(c => c < 1))
            throw new DiffusionAlignException($"{kind}: channels must be one or more positive numbers");
        if (ImageSize < 8 || ImageSize % (1 << (Channels.Length - 1)) != 0)
            throw new DiffusionAlignException(
                $"{kind}: image_size {ImageSize} must be at least 8 and divisible by {1 << (Channels.Length - 1)}");
        if (HiddenSize < 1 || TokenEmbeddingSize < 1)
            throw new DiffusionAlignException($"{kind}: hidden_size and token_embedding_size must be positive");
        if (VocabSize < 1 || MaxPromptTokens < 2)
            throw new DiffusionAlignException($"{kind}: vocab_size must be positive and max_prompt_tokens at least 2");
    }

    public string ToJson() => ConfigJson.Write(this);

    /// <summary>Reads and validates a config.json; <paramref name="what"/> names the file in messages.</summary>
    /// <exception cref="DiffusionAlignException">Not valid JSON, a wrong type, another kind of folder, a bad size.
    /// </exception>
    public static LearnedRewardConfig FromJson(string json, string what)
    {
        var config = ConfigJson.Read<LearnedRewardConfig>(json, what, new Dictionary<string, JsonNode?>());
        if (config.Class != ClassName)
            throw new DiffusionAlignException(
                $"{what} describes a '{config.Class}', not a reward model (_class_name {ClassName})");
        return ConfigJson.Validated(config, what, "reward model config", config.Validate);
    }
}
