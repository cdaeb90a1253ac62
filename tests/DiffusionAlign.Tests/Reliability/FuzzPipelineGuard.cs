using DiffusionAlign.Models;
using DiffusionAlign.Schedulers;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Decides, before a mutated pipeline folder is loaded, whether loading it could take the test process down:
/// <see cref="Pipelines.DiffusersPipelineFolder.Load"/> builds and initialises every module from the configs before
/// it reads a weight, so a config that parses but describes a model of many gigabytes would be allocated natively
/// and could exhaust the machine. The guard sizes the described model without allocating it (counting layers
/// first, then building it on the meta device); a case over the limit is reported instead of run. Smaller
/// excesses are run, and the harness's resident-memory check reports them.
/// </summary>
public static class FuzzPipelineGuard
{
    /// <summary>Layers a tiny pipeline's configs may describe before even a meta build is too slow to try.</summary>
    private const long MaxLayers = 10_000;

    /// <summary>Why loading <paramref name="folder"/> would allocate over <paramref name="limit"/>, or null.</summary>
    public static string? Check(string folder, long limit)
    {
        UNet2DConditionConfig unet;
        AutoencoderKLConfig vae;
        ClipTextConfig clip;
        NoiseScheduleConfig scheduler;
        try
        {
            using var _ = Runtime.Warnings.Redirect(_ => { });
            unet = UNet2DConditionConfig.Load(Path.Combine(folder, "unet", "config.json"));
            vae = AutoencoderKLConfig.Load(Path.Combine(folder, "vae", "config.json"));
            clip = ClipTextConfig.Load(Path.Combine(folder, "text_encoder", "config.json"));
            scheduler = NoiseScheduleConfig.Load(Path.Combine(folder, "scheduler", "scheduler_config.json"));
        }
        catch (Exception)
        {
            // Load reads the same configs first and fails the same way, before building anything.
            return null;
        }

        long layers = clip.NumHiddenLayers + (long)vae.LayersPerBlock * vae.BlockOutChannels.Count * 2;
        for (int i = 0; i < unet.BlockCount; i++)
            layers += (2L * unet.LayersPerBlock.For(i) + 1) * (1 + unet.TransformerLayersPerBlock.For(i));
        if (layers > MaxLayers) return $"the configs describe {layers} layers; Load would build them all";

        long parameters = 0;
        foreach (var shapes in new[]
            {
                UNet2DConditionModel.CheckpointShapes(unet), AutoencoderKL.CheckpointShapes(vae),
                ClipTextModel.CheckpointShapes(clip),
            })
            parameters += shapes.Values.Sum(shape => shape.Aggregate(1L, (product, dim) => product * dim));
        long bytes = parameters * sizeof(float) + scheduler.NumTrainTimesteps * 8L * sizeof(double);
        return bytes > limit
            ? $"the configs describe {bytes} bytes of weights and schedule; Load would allocate and initialise "
                + "them before reading a weight"
            : null;
    }
}
