using DiffusionAlign.Models;

namespace DiffusionAlign.Tests.Models;

public sealed class ClipTextConfigTests
{
    // runwayml/stable-diffusion-v1-5 text_encoder/config.json as published.
    private const string StableDiffusion15Json = """
        {
          "_name_or_path": "openai/clip-vit-large-patch14",
          "architectures": ["CLIPTextModel"],
          "attention_dropout": 0.0,
          "bos_token_id": 0,
          "dropout": 0.0,
          "eos_token_id": 2,
          "hidden_act": "quick_gelu",
          "hidden_size": 768,
          "initializer_factor": 1.0,
          "initializer_range": 0.02,
          "intermediate_size": 3072,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 77,
          "model_type": "clip_text_model",
          "num_attention_heads": 12,
          "num_hidden_layers": 12,
          "pad_token_id": 1,
          "projection_dim": 768,
          "torch_dtype": "float32",
          "transformers_version": "4.22.0.dev0",
          "vocab_size": 49408
        }
        """;

    [Fact]
    public void ThePublishedStableDiffusion15ConfigReadsAsThePreset()
    {
        var config = ClipTextConfig.FromJson(StableDiffusion15Json);
        Assert.Equal(ClipTextConfig.StableDiffusion15, config);
    }

    [Fact]
    public void JsonRoundTrips()
    {
        var config = ClipTextConfig.Tiny with { HiddenAct = "gelu", LayerNormEps = 1e-6 };
        var reread = ClipTextConfig.FromJson(config.ToJson());
        Assert.Equal(config, reread);
        Assert.Contains("\"max_position_embeddings\": 16", config.ToJson());
    }

    [Theory]
    [InlineData("\"hidden_act\": \"relu\"", "relu")]
    [InlineData("\"num_attention_heads\": 7", "num_attention_heads")]
    [InlineData("\"hidden_size\": \"big\"", "hidden_size")]
    public void UnsupportedOrMalformedValuesAreRefused(string replacement, string named)
    {
        var key = replacement[..(replacement.IndexOf(':'))];
        var lines = StableDiffusion15Json.Split('\n').Where(line => !line.TrimStart().StartsWith(key)).ToList();
        lines.Insert(2, $"  {replacement},");

        var error = Assert.Throws<DiffusionAlignException>(() => ClipTextConfig.FromJson(string.Join('\n', lines)));

        Assert.Contains(named, error.Message);
    }
}
