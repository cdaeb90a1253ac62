using DiffusionAlign.Models;
using DiffusionAlign.Runtime;
using DiffusionAlign.Schedulers;

namespace DiffusionAlign.Tests.Models;

public sealed class ConfigJsonWarningTests
{
    /// <summary>The warnings <paramref name="read"/> reports, captured without touching the global sink.</summary>
    private static List<string> WarningsOf(Action read)
    {
        var lines = new List<string>();
        using (Warnings.Redirect(lines.Add)) read();
        return lines;
    }

    [Fact]
    public void UnknownKeysAreNamedInOneWarningLine()
    {
        var lines = WarningsOf(() => UNet2DConditionConfig.FromJson("""
            { "in_channels": 4, "foo": 1, "sample_size": 64, "bar_baz": [1, 2] }
            """));

        var line = Assert.Single(lines);
        Assert.Equal("UNet config: ignoring keys DiffusionAlign does not use: foo, bar_baz", line);
    }

    [Fact]
    public void ModelledNeutralInertAndMetadataKeysDoNotWarn()
    {
        var lines = WarningsOf(() =>
        {
            UNet2DConditionConfig.FromJson("""
                { "_class_name": "UNet2DConditionModel", "_diffusers_version": "0.21.4", "_name_or_path": "x",
                  "_commit_hash": "abc", "in_channels": 4, "class_embed_type": null,
                  "resnet_time_scale_shift": "default", "upcast_attention": true, "resnet_skip_time_act": false }
                """);
            AutoencoderKLConfig.FromJson("""{ "sample_size": 512, "force_upcast": true, "shift_factor": null }""");
            ClipTextConfig.FromJson("""
                { "architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "torch_dtype": "float16",
                  "transformers_version": "4.33.0", "projection_dim": 768, "eos_token_id": 2 }
                """);
            NoiseScheduleConfig.FromJson("""{ "_class_name": "PNDMScheduler", "skip_prk_steps": true }""");
        });

        Assert.Empty(lines);
    }

    [Fact]
    public void ConfigsWeWriteReadBackWithoutWarnings()
    {
        var lines = WarningsOf(() =>
        {
            UNet2DConditionConfig.FromJson(UNet2DConditionConfig.StableDiffusion15.ToJson());
            AutoencoderKLConfig.FromJson(AutoencoderKLConfig.StableDiffusion15.ToJson());
            ClipTextConfig.FromJson(ClipTextConfig.StableDiffusion15.ToJson());
            NoiseScheduleConfig.FromJson(new NoiseScheduleConfig().ToJson());
        });

        Assert.Empty(lines);
    }

    [Fact]
    public void EachConfigKindWarnsAboutItsOwnUnknownKeys()
    {
        var lines = WarningsOf(() =>
        {
            AutoencoderKLConfig.FromJson("""{ "latent_channel": 4 }""");
            ClipTextConfig.FromJson("""{ "text_config": {} }""");
            NoiseScheduleConfig.FromJson("""{ "use_karras_sigmas": true }""");
        });

        Assert.Equal(
        [
            "VAE config: ignoring keys DiffusionAlign does not use: latent_channel",
            "CLIP text config: ignoring keys DiffusionAlign does not use: text_config",
            "scheduler config: ignoring keys DiffusionAlign does not use: use_karras_sigmas",
        ], lines);
    }

    [Fact]
    public void SchedulerKeysThatWouldChangeTheScheduleAreRefused()
    {
        var error = Assert.Throws<DiffusionAlignException>(
            () => NoiseScheduleConfig.FromJson("""{ "rescale_betas_zero_snr": true }"""));
        Assert.Contains("rescale_betas_zero_snr", error.Message);
        Assert.Throws<DiffusionAlignException>(() => NoiseScheduleConfig.FromJson("""{ "trained_betas": [0.1] }"""));
    }

    [Fact]
    public void AWarningFromAFileNamesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vae-config-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """{ "mystery": 1 }""");
            var line = Assert.Single(WarningsOf(() => AutoencoderKLConfig.Load(path)));
            Assert.Equal($"VAE config {path}: ignoring keys DiffusionAlign does not use: mystery", line);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [FixtureFact("diffusers-reference")]
    public void TheReferencePipelineConfigsLoadWithoutWarnings()
    {
        // Every key diffusers 0.21 and transformers 4.33 wrote there is modelled, neutral, inert or metadata.
        string pipeline = Path.Combine(ReferenceFixtures.Find("diffusers-reference")!, "tiny-sd");
        var lines = WarningsOf(() =>
        {
            UNet2DConditionConfig.Load(Path.Combine(pipeline, "unet", "config.json"));
            AutoencoderKLConfig.Load(Path.Combine(pipeline, "vae", "config.json"));
            ClipTextConfig.Load(Path.Combine(pipeline, "text_encoder", "config.json"));
            NoiseScheduleConfig.Load(Path.Combine(pipeline, "scheduler", "scheduler_config.json"));
        });

        Assert.Empty(lines);
    }
}
