using DiffusionAlign.IO;
using DiffusionAlign.Models;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// The valid inputs the fuzz tests damage: configs as diffusers and transformers write them (their bookkeeping and
/// neutral keys included, so those checks are reached), small enough that a pipeline built from them loads in
/// milliseconds, and that pipeline written as a diffusers folder with a CLIP tokenizer of a dozen tokens. The text
/// encoder's weights are sharded, so the shard index is read too. Nothing here needs the reference fixture.
/// </summary>
public static class FuzzSeeds
{
    public const string UnetConfig = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.21.4",
          "act_fn": "silu",
          "addition_embed_type": null,
          "addition_embed_type_num_heads": 64,
          "attention_head_dim": 2,
          "attention_type": "default",
          "block_out_channels": [8, 16],
          "center_input_sample": false,
          "class_embed_type": null,
          "class_embeddings_concat": false,
          "conv_in_kernel": 3,
          "cross_attention_dim": 16,
          "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
          "downsample_padding": 1,
          "dropout": 0.0,
          "dual_cross_attention": false,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 1,
          "mid_block_scale_factor": 1,
          "mid_block_type": "UNetMidBlock2DCrossAttn",
          "norm_eps": 1e-05,
          "norm_num_groups": 4,
          "num_attention_heads": null,
          "only_cross_attention": false,
          "out_channels": 4,
          "resnet_time_scale_shift": "default",
          "sample_size": 8,
          "time_embedding_type": "positional",
          "transformer_layers_per_block": 1,
          "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
          "upcast_attention": false,
          "use_linear_projection": false
        }
        """;

    public const string VaeConfig = """
        {
          "_class_name": "AutoencoderKL",
          "_diffusers_version": "0.21.4",
          "act_fn": "silu",
          "block_out_channels": [8, 8],
          "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
          "force_upcast": true,
          "in_channels": 3,
          "latent_channels": 4,
          "layers_per_block": 1,
          "norm_num_groups": 4,
          "out_channels": 3,
          "sample_size": 16,
          "scaling_factor": 0.18215,
          "shift_factor": null,
          "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
          "use_quant_conv": true
        }
        """;

    public const string ClipConfig = """
        {
          "architectures": ["CLIPTextModel"],
          "attention_dropout": 0.0,
          "bos_token_id": 0,
          "eos_token_id": 1,
          "hidden_act": "quick_gelu",
          "hidden_size": 16,
          "initializer_factor": 1.0,
          "initializer_range": 0.02,
          "intermediate_size": 24,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 8,
          "model_type": "clip_text_model",
          "num_attention_heads": 2,
          "num_hidden_layers": 1,
          "pad_token_id": 1,
          "projection_dim": 16,
          "torch_dtype": "float32",
          "transformers_version": "4.33.0.dev0",
          "vocab_size": 12
        }
        """;

    public const string SchedulerConfig = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.6.0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "timestep_spacing": "leading",
          "trained_betas": null
        }
        """;

    public const string ModelIndex = """
        {
          "_class_name": "StableDiffusionPipeline",
          "_diffusers_version": "0.21.4",
          "feature_extractor": [null, null],
          "requires_safety_checker": false,
          "safety_checker": [null, null],
          "scheduler": ["diffusers", "PNDMScheduler"],
          "text_encoder": ["transformers", "CLIPTextModel"],
          "tokenizer": ["transformers", "CLIPTokenizer"],
          "unet": ["diffusers", "UNet2DConditionModel"],
          "vae": ["diffusers", "AutoencoderKL"]
        }
        """;

    // Byte-level BPE pieces for "a cat" and "a dog"; ids stay below the text encoder's vocab_size of 12.
    private const string Vocab = """
        {"<|startoftext|>": 0, "<|endoftext|>": 1, "a</w>": 2, "c": 3, "a": 4, "t</w>": 5, "ca": 6,
         "cat</w>": 7, "d": 8, "o": 9, "g</w>": 10, "dog</w>": 11}
        """;

    private const string Merges = "#version: 0.2\nc a\nca t</w>\nd o\ndo g</w>\n";

    private const string TokenizerConfig = """{"model_max_length": 8, "tokenizer_class": "CLIPTokenizer"}""";

    public const string TextEncoderIndex = "model.safetensors.index.json";

    /// <summary>Writes the tiny pipeline folder at <paramref name="folder"/>, with weights from a fixed seed.</summary>
    public static void WritePipeline(string folder)
    {
        void Text(string relative, string text)
        {
            string path = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        Text("model_index.json", ModelIndex);
        Text("unet/config.json", UnetConfig);
        Text("vae/config.json", VaeConfig);
        Text("text_encoder/config.json", ClipConfig);
        Text("scheduler/scheduler_config.json", SchedulerConfig);
        Text("tokenizer/vocab.json", Vocab);
        Text("tokenizer/merges.txt", Merges);
        Text("tokenizer/tokenizer_config.json", TokenizerConfig);

        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(7);
        Dictionary<string, Tensor> Weights(nn.Module module) =>
            module.state_dict().ToDictionary(kv => kv.Key, kv => randn(kv.Value.shape, generator: generator) * 0.1);
        using (var unet = new UNet2DConditionModel(UNet2DConditionConfig.FromJson(UnetConfig)))
            SafetensorsFile.Write(Path.Combine(folder, "unet", "diffusion_pytorch_model.safetensors"), Weights(unet));
        using (var vae = new AutoencoderKL(AutoencoderKLConfig.FromJson(VaeConfig)))
            SafetensorsFile.Write(Path.Combine(folder, "vae", "diffusion_pytorch_model.safetensors"), Weights(vae));
        using var clip = new ClipTextModel(ClipTextConfig.FromJson(ClipConfig));
        var clipWeights = Weights(clip);
        var names = clipWeights.Keys.Order(StringComparer.Ordinal).ToList();
        var shards = new[] { names.Take(names.Count / 2).ToList(), names.Skip(names.Count / 2).ToList() };
        var map = new List<string>();
        for (int s = 0; s < shards.Length; s++)
        {
            string file = $"model-{s + 1:D5}-of-{shards.Length:D5}.safetensors";
            SafetensorsFile.Write(Path.Combine(folder, "text_encoder", file),
                shards[s].ToDictionary(name => name, name => clipWeights[name]));
            map.AddRange(shards[s].Select(name => $"\"{name}\": \"{file}\""));
        }
        Text($"text_encoder/{TextEncoderIndex}",
            $"{{\"metadata\": {{\"total_size\": 0}}, \"weight_map\": {{{string.Join(", ", map)}}}}}");
    }
}
