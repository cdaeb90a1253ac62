using DiffusionAlign.Models;
using DiffusionAlign.Sampling;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// A Stable Diffusion pipeline read from a diffusers folder (<c>model_index.json</c>, <c>unet/</c>,
/// <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c>): every architectural choice
/// comes from the folder's configs. Sampling follows diffusers' <c>StableDiffusionPipeline</c> with DDIM:
/// latents from the seed, classifier-free guidance on <c>[negative; prompt]</c>, and the VAE decoding
/// latents divided by its scaling factor.
/// </summary>
public sealed class StableDiffusionPipeline : IDisposable
{
    public const string IndexFileName = "model_index.json";

    private StableDiffusionPipeline(UNet2DConditionModel unet, AutoencoderKL vae, ClipTextModel textEncoder,
        ClipTokenizer tokenizer, NoiseSchedule schedule, Device device)
    {
        Unet = unet;
        Vae = vae;
        TextEncoder = textEncoder;
        Tokenizer = tokenizer;
        Schedule = schedule;
        Device = device;
    }

    public UNet2DConditionModel Unet { get; }

    public AutoencoderKL Vae { get; }

    public ClipTextModel TextEncoder { get; }

    public ClipTokenizer Tokenizer { get; }

    public NoiseSchedule Schedule { get; }

    public Device Device { get; }

    /// <summary>The native image side: the UNet's sample size times the VAE's downscale factor.</summary>
    public int DefaultImageSize => (Unet.Config.SampleSize ?? 64) * Vae.Config.DownscaleFactor;

    /// <summary>
    /// Whether <paramref name="folder"/> is a diffusers pipeline folder (it has a <c>model_index.json</c>).
    /// </summary>
    public static bool IsPipelineFolder(string folder) => File.Exists(Path.Combine(folder, IndexFileName));

    /// <exception cref="DiffusionAlignException">
    /// A missing part, a config we do not build, or weights that do not fit.
    /// </exception>
    public static StableDiffusionPipeline Load(string folder, Device? device = null)
    {
        if (!Directory.Exists(folder)) throw new DiffusionAlignException($"model folder not found: {folder}");
        if (!IsPipelineFolder(folder))
            throw new DiffusionAlignException($"{folder} has no {IndexFileName}: not a diffusers pipeline folder");
        device ??= CPU;
        string Part(string name)
        {
            string path = Path.Combine(folder, name);
            if (!Directory.Exists(path)) throw new DiffusionAlignException($"{folder} has no {name}/ folder");
            return path;
        }

        var unet = new UNet2DConditionModel(UNet2DConditionConfig.Load(Path.Combine(Part("unet"), "config.json")));
        LoadInto(DiffusersWeights.Read(Part("unet"), "diffusion_pytorch_model"), unet.LoadCheckpoint);
        var vae = new AutoencoderKL(AutoencoderKLConfig.Load(Path.Combine(Part("vae"), "config.json")));
        LoadInto(DiffusersWeights.Read(Part("vae"), "diffusion_pytorch_model"), vae.LoadCheckpoint);
        var textEncoder = new ClipTextModel(ClipTextConfig.Load(Path.Combine(Part("text_encoder"), "config.json")));
        LoadInto(DiffusersWeights.Read(Part("text_encoder"), "model"), textEncoder.LoadCheckpoint);
        var tokenizer = ClipTokenizer.FromFolder(Part("tokenizer"));
        var schedule = new NoiseSchedule(
            NoiseScheduleConfig.Load(Path.Combine(Part("scheduler"), "scheduler_config.json")));
        unet.to(device);
        vae.to(device);
        textEncoder.to(device);
        foreach (var module in new nn.Module[] { unet, vae, textEncoder })
        {
            module.eval();
            foreach (var p in module.parameters()) p.requires_grad = false;
        }
        return new StableDiffusionPipeline(unet, vae, textEncoder, tokenizer, schedule, device);
    }

    private static void LoadInto(Dictionary<string, Tensor> weights, Action<IReadOnlyDictionary<string, Tensor>> load)
    {
        try
        {
            load(weights);
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    /// <summary>The text encoder's last hidden states <c>[B, 77, dim]</c> for the prompts.</summary>
    public Tensor EncodeText(IReadOnlyList<string> prompts)
    {
        var ids = prompts.SelectMany(p => Tokenizer.Encode(p)).Select(id => (long)id).ToArray();
        using var input = tensor(ids, device: Device).reshape(prompts.Count, Tokenizer.MaxLength);
        using var noGrad = no_grad();
        return TextEncoder.forward(input);
    }

    /// <summary>
    /// Gaussian latents for samples 0..count−1 of <paramref name="seed"/>, drawn as
    /// <see cref="TextToImageSampler.InitialNoise(int, long[], long, long, long, Device?)"/> draws them.
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// A side that is not a positive multiple of the VAE's downscale factor.
    /// </exception>
    public Tensor InitialLatents(int count, int height, int width, long seed)
    {
        int factor = Vae.Config.DownscaleFactor;
        if (height <= 0 || width <= 0 || height % factor != 0 || width % factor != 0)
            throw new DiffusionAlignException(
                $"height and width must be positive multiples of {factor}, got {height}×{width}");
        return TextToImageSampler.InitialNoise(count, [Vae.Config.LatentChannels, height / factor, width / factor],
            seed, device: Device);
    }

    /// <summary>
    /// DDIM from <paramref name="latents"/> to the final latents for <paramref name="prompts"/>, guided
    /// against <paramref name="negativePrompts"/> (empty prompts when null).
    /// </summary>
    public Tensor Denoise(Tensor latents, IReadOnlyList<string> prompts, SamplingOptions options,
        IReadOnlyList<string>? negativePrompts = null, long seed = 0, IProgress<int>? progress = null)
    {
        options.Validate();
        if (latents.shape[0] != prompts.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {latents.shape[0]} latents");
        if (negativePrompts is not null && negativePrompts.Count != prompts.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {negativePrompts.Count} negative prompts");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool guided = options.GuidanceScale != 1.0;
        var negative = negativePrompts ?? Enumerable.Repeat("", prompts.Count).ToList();
        var text = guided ? EncodeText([.. negative, .. prompts]) : EncodeText(prompts);
        var sampler = new DdimSampler(Schedule);
        using var generator = options.Eta > 0
            ? Data.StepSeeds.Torch(seed, 0, Data.StepSeeds.Stream.Noise, Device)
            : null;

        Tensor Model(Tensor x, int t)
        {
            var input = guided ? cat(new[] { x, x }, 0) : x;
            var timesteps = full(new long[] { input.shape[0] }, t, dtype: int64, device: Device);
            var output = Unet.forward(input, timesteps, text);
            return guided ? ClassifierFreeGuidance.CombineBatched(output, options.GuidanceScale) : output;
        }

        var final = DenoisingLoop.Run(Model, latents, sampler, options.Steps, options.Eta, generator, progress);
        return final.MoveToOuterDisposeScope();
    }

    /// <summary>Images in [−1, 1], <c>[B, 3, H, W]</c>, from final latents.</summary>
    public Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = Vae.Decode(latents / Vae.Config.ScalingFactor).clamp(-1.0, 1.0);
        return images.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Samples images in [−1, 1], <c>[B, 3, H, W]</c>, one per prompt, at <paramref name="height"/> ×
    /// <paramref name="width"/> (the native size when null), sample i from seed (seed, i).
    /// </summary>
    public Tensor Generate(IReadOnlyList<string> prompts, SamplingOptions options, long seed = 0, int? height = null,
        int? width = null, IReadOnlyList<string>? negativePrompts = null, IProgress<int>? progress = null)
    {
        using var latents = InitialLatents(prompts.Count, height ?? DefaultImageSize, width ?? DefaultImageSize, seed);
        using var final = Denoise(latents, prompts, options, negativePrompts, seed, progress);
        return Decode(final);
    }

    public void Dispose()
    {
        Unet.Dispose();
        Vae.Dispose();
        TextEncoder.Dispose();
        Schedule.Dispose();
    }
}
