using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class UNet2DConditionConfigTests
{
    // runwayml/stable-diffusion-v1-5 unet/config.json as published.
    private const string StableDiffusion15Json = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.6.0",
          "act_fn": "silu",
          "attention_head_dim": 8,
          "block_out_channels": [320, 640, 1280, 1280],
          "center_input_sample": false,
          "cross_attention_dim": 768,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "downsample_padding": 1,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "out_channels": 4,
          "sample_size": 64,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
        }
        """;

    // stabilityai/stable-diffusion-2-1 unet/config.json as published.
    private const string StableDiffusion21Json = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.10.0.dev0",
          "act_fn": "silu",
          "attention_head_dim": [5, 10, 20, 20],
          "block_out_channels": [320, 640, 1280, 1280],
          "center_input_sample": false,
          "cross_attention_dim": 1024,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "downsample_padding": 1,
          "dual_cross_attention": false,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_scale_factor": 1,
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "num_class_embeds": null,
          "only_cross_attention": false,
          "out_channels": 4,
          "sample_size": 96,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
          "upcast_attention": true,
          "use_linear_projection": true
        }
        """;

    [Fact]
    public void ThePublishedStableDiffusion15ConfigReadsAsThePreset()
    {
        var config = UNet2DConditionConfig.FromJson(StableDiffusion15Json);
        Assert.Equal(UNet2DConditionConfig.StableDiffusion15.ToJson(), config.ToJson());
        Assert.Equal(8, config.AttentionHeadDim.For(3));
        Assert.Equal(768, config.CrossAttentionDim.For(0));
    }

    [Fact]
    public void StableDiffusion21ReadsPerBlockHeadsAndBuildsWithLinearProjections()
    {
        var config = UNet2DConditionConfig.FromJson(StableDiffusion21Json);
        Assert.Equal([5, 10, 20, 20], config.AttentionHeadDim.Values);
        Assert.True(config.UseLinearProjection);
        Assert.True(config.UpcastAttention);

        using var model = new UNet2DConditionModel(config, new Device(DeviceType.META));
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(new long[] { 320, 320 }, shapes["down_blocks.0.attentions.0.proj_in.weight"]);
        Assert.Equal(new long[] { 1280, 1024 },
            shapes["mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"]);
        // SD1.5's count plus the wider (1024 instead of 768) keys and values of 16 cross-attentions.
        Assert.Equal(865_910_724L, model.ParameterCount);
    }

    [Fact]
    public void JsonRoundTripsIncludingPerBlockLists()
    {
        var config = UNet2DConditionConfig.Tiny with
        {
            AttentionHeadDim = PerBlock<int>.Each(2, 4, 8), OnlyCrossAttention = true
        };
        var json = config.ToJson();
        Assert.Contains("\"attention_head_dim\": [", json);
        Assert.Contains("\"only_cross_attention\": true", json);
        Assert.Contains("\"sample_size\": 32", json);

        var reread = UNet2DConditionConfig.FromJson(json);

        Assert.Equal(json, reread.ToJson());
        Assert.Equal(config.AttentionHeadDim, reread.AttentionHeadDim);
        Assert.Equal(config.BlockOutChannels, reread.BlockOutChannels);
        Assert.Equal(config.DownBlockTypes, reread.DownBlockTypes);
    }

    [Fact]
    public void ConfigFilesSaveAndLoad()
    {
        var path = Path.Combine(Path.GetTempPath(), $"unet-config-{Guid.NewGuid():N}.json");
        try
        {
            UNet2DConditionConfig.Tiny.Save(path);
            Assert.Equal(UNet2DConditionConfig.Tiny.ToJson(), UNet2DConditionConfig.Load(path).ToJson());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("\"down_block_types\": [\"CrossAttnDownBlock2D\", \"SimpleCrossAttnDownBlock2D\", "
        + "\"CrossAttnDownBlock2D\", \"DownBlock2D\"]", "SimpleCrossAttnDownBlock2D")]
    [InlineData("\"mid_block_type\": \"UNetMidBlock2DSimpleCrossAttn\"", "UNetMidBlock2DSimpleCrossAttn")]
    [InlineData("\"addition_embed_type\": \"text_time\"", "addition_embed_type")]
    [InlineData("\"class_embed_type\": \"timestep\"", "class_embed_type")]
    [InlineData("\"dual_cross_attention\": true", "dual_cross_attention")]
    [InlineData("\"attention_head_dim\": [8, 8]", "attention_head_dim")]
    [InlineData("\"attention_head_dim\": 7", "attention_head_dim")]
    [InlineData("\"layers_per_block\": \"two\"", "layers_per_block")]
    [InlineData("\"act_fn\": \"relu\"", "relu")]
    public void UnsupportedArchitecturesAreRefusedByName(string replacement, string named)
    {
        var key = replacement[..(replacement.IndexOf(':'))];
        var lines = StableDiffusion15Json.Split('\n').Where(line => !line.TrimStart().StartsWith(key)).ToList();
        lines.Insert(2, $"  {replacement},");

        var error = Assert.Throws<DiffusionAlignException>(
            () => UNet2DConditionConfig.FromJson(string.Join('\n', lines)));

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void MalformedJsonIsAUserError()
    {
        Assert.Throws<DiffusionAlignException>(() => UNet2DConditionConfig.FromJson("{ \"in_channels\": "));
        Assert.Throws<DiffusionAlignException>(() => UNet2DConditionConfig.FromJson("[1, 2]"));
    }

    [Fact]
    public void ConstructingAModelValidatesItsConfig()
    {
        var bad = UNet2DConditionConfig.Tiny with { NormNumGroups = 5 };
        var error = Assert.Throws<DiffusionAlignException>(
            () => new UNet2DConditionModel(bad, new Device(DeviceType.META)));
        Assert.Contains("norm_num_groups", error.Message);
    }
}
