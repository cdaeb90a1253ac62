using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Sampling;

/// <summary>
/// Generates images from prompts with DDIM and classifier-free guidance, the empty prompt as the
/// unconditional input. Conditional and unconditional passes go through the UNet as one batch.
/// </summary>
public static class TextToImageSampler
{
    /// <summary>
    /// Initial noise for samples firstIndex + i·indexStride under <paramref name="seed"/>: every model
    /// sampled with the same (seed, index) starts from the same x_T, so comparisons are paired.
    /// </summary>
    public static Tensor InitialNoise(int count, int imageSize, long seed, long firstIndex = 0, long indexStride = 1,
        Device? device = null) =>
        InitialNoise(count, [3, imageSize, imageSize], seed, firstIndex, indexStride, device);

    /// <summary>
    /// The same for samples of any shape (e.g. latents <c>[channels, height, width]</c>): sample i is drawn
    /// alone from its own generator, so it does not depend on how many others are drawn with it.
    /// </summary>
    public static Tensor InitialNoise(int count, long[] sampleShape, long seed, long firstIndex = 0,
        long indexStride = 1, Device? device = null)
    {
        long[] shape = [1, .. sampleShape];
        var parts = new List<Tensor>(count);
        for (int i = 0; i < count; i++)
        {
            using var gen = Data.StepSeeds.Torch(seed, firstIndex + i * indexStride, Data.StepSeeds.Stream.Sampling);
            parts.Add(randn(shape, generator: gen));
        }
        var noise = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return device is null || device.type == DeviceType.CPU ? noise : noise.to(device);
    }

    /// <summary>
    /// Samples images in [−1, 1], shape [B, 3, H, W], for the prompts starting from <paramref name="initialNoise"/>
    /// (shaped as <see cref="INoisePredictor.SampleShape"/>; a latent model's final latents are decoded by its
    /// VAE). Guidance steers away from <paramref name="negativePrompts"/> (the empty prompt when null).
    /// Every other tensor made on the way is freed before returning, inside a dispose scope or not.
    /// </summary>
    public static Tensor Generate(INoisePredictor model, IReadOnlyList<string> prompts, Tensor initialNoise,
        SamplingOptions options, long seed = 0, IProgress<int>? progress = null,
        IReadOnlyList<string>? negativePrompts = null)
    {
        using var final = Denoise(model, prompts, initialNoise, options, seed, progress, negativePrompts);
        return model.ToImages(final);
    }

    /// <summary>
    /// DDIM with classifier-free guidance from <paramref name="initialNoise"/> to the final samples (pixels or
    /// latents, undecoded), the unconditional and conditional passes as one UNet batch. For a
    /// <see cref="Mixing.PolicyMixture"/> that batch's two halves are each mixed with the same weights, then
    /// guidance is applied once.
    /// </summary>
    public static Tensor Denoise(INoisePredictor model, IReadOnlyList<string> prompts, Tensor initialNoise,
        SamplingOptions options, long seed = 0, IProgress<int>? progress = null,
        IReadOnlyList<string>? negativePrompts = null)
    {
        options.Validate();
        if (initialNoise.shape[0] != prompts.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {initialNoise.shape[0]} noise samples");
        if (negativePrompts is not null && negativePrompts.Count != prompts.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {negativePrompts.Count} negative prompts");
        // The text encoder's intermediates and the unconditional prompt states are not disposed one by one.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        bool guided = options.GuidanceScale != 1.0;
        int batch = prompts.Count;
        using var cond = model.EncodeText(prompts);
        using var text = guided
            ? cat(new[] { model.EncodeText(negativePrompts ?? Enumerable.Repeat("", batch).ToList()), cond }, 0)
            : cond.alias();
        var sampler = new DdimSampler(model.Schedule);
        using var generator = options.Eta > 0
            ? Data.StepSeeds.Torch(seed, 0, Data.StepSeeds.Stream.Noise, model.Device)
            : null;

        Tensor Model(Tensor x, int t)
        {
            using var xIn = guided ? cat(new[] { x, x }, 0) : x.alias();
            // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
            using var timestep = t.ToScalar();
            using var tIn = full(new long[] { xIn.shape[0] }, timestep, dtype: int64, device: model.Device);
            using var output = model.Predict(xIn, tIn, text);
            if (!guided) return output.alias();
            var halves = output.chunk(2, 0);
            return ClassifierFreeGuidance.Combine(halves[0], halves[1], options.GuidanceScale);
        }

        using var x0 = initialNoise.to(model.Device);
        var result = DenoisingLoop.Run(Model, x0, sampler, options.Steps, options.Eta, generator, progress);
        return result.MoveToOuterDisposeScope();
    }
}
