using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// A text-to-image diffusion model as one object: UNet, CLIP-style text encoder, tokenizer, noise
/// schedule and, for latent models such as Stable Diffusion, the VAE that maps images to the latents
/// the UNet denoises. Built from a <see cref="ModelConfig"/>. A pixel model is saved as a folder with
/// <c>config.json</c> and <c>model.safetensors</c>; a latent model comes from and goes back to a
/// diffusers folder (<see cref="DiffusersPipelineFolder"/>). <see cref="Load"/> tells them apart by
/// what the folder holds.
/// </summary>
public sealed class TextToImageModel : INoisePredictor
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";

    internal TextToImageModel(ModelConfig config, Device device, ITextTokenizer? tokenizer = null)
    {
        Config = config;
        Device = device;
        Tokenizer = tokenizer ?? TokenizerRegistry.Create(config.Tokenizer);
        CheckTokenizerFits(Tokenizer, config.TextEncoder);
        Modules = new DiffusionModules(new UNet2DConditionModel(config.Unet), new ClipTextModel(config.TextEncoder));
        Schedule = new NoiseSchedule(config.Scheduler);
        Modules.to(device);
        if (config.Vae is { } vae)
        {
            Vae = new AutoencoderKL(vae);
            Vae.to(device);
            Vae.eval();
            foreach (var p in Vae.parameters()) p.requires_grad = false;
        }
        if (config.Lora is { } lora) AddLora(lora, seed: 0);
    }

    /// <summary>
    /// Refuses a tokenizer whose ids or lengths the text encoder has no embedding for: either would first show
    /// as an index error inside the first forward pass.
    /// </summary>
    /// <param name="vocabularySource">Where the tokenizer's ids come from, for the message.</param>
    /// <param name="lengthSource">Where its length comes from.</param>
    /// <param name="encoderSource">Where the text encoder's sizes come from.</param>
    /// <exception cref="DiffusionAlignException">Naming the sources that disagree.</exception>
    internal static void CheckTokenizerFits(ITextTokenizer tokenizer, ClipTextConfig encoder,
        string vocabularySource = "the tokenizer", string lengthSource = "the tokenizer",
        string encoderSource = "the text encoder")
    {
        if (tokenizer.VocabularySize > encoder.VocabSize)
            throw new DiffusionAlignException(
                $"{vocabularySource} gives ids up to {tokenizer.VocabularySize - 1}, but {encoderSource} has "
                + $"vocab_size {encoder.VocabSize}");
        if (tokenizer.MaxLength > encoder.MaxPositionEmbeddings)
            throw new DiffusionAlignException(
                $"{lengthSource} pads prompts to {tokenizer.MaxLength} tokens, but {encoderSource} has "
                + $"max_position_embeddings {encoder.MaxPositionEmbeddings}");
    }

    /// <summary>
    /// UNet and text encoder under one parent module whose field names are the checkpoint
    /// prefixes, so <c>named_parameters()</c> yields exactly the names in <c>model.safetensors</c>.
    /// </summary>
    public sealed class DiffusionModules : nn.Module
    {
#pragma warning disable IDE1006 // Field names are checkpoint prefixes.
        public readonly UNet2DConditionModel unet;
        public readonly ClipTextModel text_encoder;
#pragma warning restore IDE1006

        public DiffusionModules(UNet2DConditionModel unet, ClipTextModel textEncoder) : base(nameof(DiffusionModules))
        {
            this.unet = unet;
            text_encoder = textEncoder;
            RegisterComponents();
        }
    }

    /// <summary>
    /// The parent module of UNet and text encoder (names carry the <c>unet.</c>/<c>text_encoder.</c> prefixes).
    /// </summary>
    public DiffusionModules Modules { get; }

    public ModelConfig Config { get; private set; }

    public Device Device { get; }

    public UNet2DConditionModel Unet => Modules.unet;

    public ClipTextModel TextEncoder => Modules.text_encoder;

    public ITextTokenizer Tokenizer { get; }

    public NoiseSchedule Schedule { get; }

    /// <summary>
    /// The frozen VAE of a latent model (null for a pixel model). It is not part of <see cref="Modules"/>:
    /// it never trains, so checkpoints and optimizers never see it.
    /// </summary>
    public AutoencoderKL? Vae { get; }

    /// <summary>Side of the square images the model generates natively (<see cref="ModelConfig.ImageSize"/>).</summary>
    public int ImageSize => Config.ImageSize;

    /// <summary>Whether the UNet denoises VAE latents (true) or pixels (false).</summary>
    public bool IsLatent => Vae is not null;

    /// <summary>The diffusers folder a latent model was read from (its configs go with exports).</summary>
    public string? SourceFolder { get; internal set; }

    /// <summary>The dtype the modules compute in (float32 unless <see cref="UsePrecision"/> changed it).</summary>
    public ScalarType ComputeType { get; private set; } = ScalarType.Float32;

    /// <summary>
    /// Builds a freshly initialised model; <paramref name="seed"/> fixes the initial weights. Seeding goes
    /// through LibTorch's process-wide generator, so another thread drawing random numbers at the same
    /// time changes the result: use <see cref="Copy"/> when several identical models are needed.
    /// </summary>
    public static TextToImageModel Create(ModelConfig config, long seed, Device? device = null)
    {
        torch.manual_seed(seed);
        return new TextToImageModel(config, device ?? CPU);
    }

    /// <summary>
    /// Loads a model folder: a diffusers pipeline folder (<c>model_index.json</c>), a LoRA run of one
    /// (<see cref="AlignmentRunFolder"/>), or a DiffusionAlign pixel model written by <see cref="Save"/>.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The folder or its files are missing or malformed.</exception>
    public static TextToImageModel Load(string dir, Device? device = null)
    {
        if (!Directory.Exists(dir)) throw new DiffusionAlignException($"model folder not found: {dir}");
        if (Mixing.MixtureFolder.IsMixtureFolder(dir))
            throw new DiffusionAlignException(
                $"{dir} is a policy mixture ({Mixing.MixtureFolder.ManifestFileName}), not a model folder; "
                + "sampling and evaluation read mixtures, training and export need one model");
        if (AlignmentRunFolder.IsRunFolder(dir)) return AlignmentRunFolder.Load(dir, device);
        if (DiffusersPipelineFolder.IsPipelineFolder(dir)) return DiffusersPipelineFolder.Load(dir, device);
        string configPath = Path.Combine(dir, ConfigFileName);
        string weightsPath = Path.Combine(dir, WeightsFileName);
        if (!File.Exists(configPath))
            throw new DiffusionAlignException(
                $"{dir} is not a model folder: it has neither {DiffusersPipelineFolder.IndexFileName} "
                + $"(diffusers) nor {ConfigFileName} (DiffusionAlign)");
        if (!File.Exists(weightsPath))
            throw new DiffusionAlignException($"{dir} is not a model folder: {WeightsFileName} is missing");
        ModelConfig config = ReadConfig(configPath);
        if (config.Vae is not null)
            throw new DiffusionAlignException(
                $"{configPath} describes a latent model; those are stored as diffusers folders");
        var model = new TextToImageModel(config, device ?? CPU);
        try
        {
            var tensors = SafetensorsFile.Read(weightsPath);
            try
            {
                model.LoadStateTensors(tensors, weightsPath);
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Writes the model into <paramref name="dir"/>, each file atomically: a pixel model as
    /// <c>config.json</c> and <c>model.safetensors</c>; a latent model as a diffusers folder (adapters, if
    /// any, beside the base weights in diffusers' LoRA file).
    /// </summary>
    public void Save(string dir, IReadOnlyDictionary<string, string>? provenance = null)
    {
        Directory.CreateDirectory(dir);
        if (provenance is not null)
        {
            var merged = new Dictionary<string, string>(Config.Provenance);
            foreach (var (k, v) in provenance) merged[k] = v;
            Config = Config with { Provenance = merged };
        }
        if (IsLatent)
        {
            DiffusersPipelineFolder.Save(this, dir, mergeLora: false);
            return;
        }
        using (NewDisposeScope()) SafetensorsFile.Write(Path.Combine(dir, WeightsFileName), StateTensors());
        string configPath = Path.Combine(dir, ConfigFileName);
        AtomicFile.Write(configPath, stream => JsonSerializer.Serialize(stream, Config, JsonOptions));
    }

    /// <summary>
    /// All weights by checkpoint name (<c>unet.*</c>, <c>text_encoder.*</c>), CPU contiguous views for saving.
    /// The views are new tensors the caller disposes (a dispose scope around the call will do).
    /// </summary>
    public Dictionary<string, Tensor> StateTensors()
    {
        return Modules.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
    }

    /// <summary>The weights of <see cref="TrainableParameters"/> by name, as views the caller disposes.</summary>
    public Dictionary<string, Tensor> TrainableStateTensors()
    {
        var names = new HashSet<string>(TrainableNames(), StringComparer.Ordinal);
        return Modules.named_parameters().Where(p => names.Contains(p.name))
            .ToDictionary(p => p.name, p => p.parameter.detach());
    }

    /// <summary>Copies in the weights <see cref="TrainableStateTensors"/> wrote; each must be present.</summary>
    public void LoadTrainableTensors(IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var names = new HashSet<string>(TrainableNames(), StringComparer.Ordinal);
        CopyIn(Modules.named_parameters().Where(p => names.Contains(p.name)), tensors, source);
    }

    /// <summary>Copies weights in; every parameter must be present with its exact shape.</summary>
    public void LoadStateTensors(IReadOnlyDictionary<string, Tensor> tensors, string source = "checkpoint")
    {
        var parameters = Modules.named_parameters().ToList();
        CopyIn(parameters, tensors, source);
        var expected = new HashSet<string>(parameters.Select(p => p.name), StringComparer.Ordinal);
        var extra = tensors.Keys.Where(k => !expected.Contains(k)).Take(3).ToList();
        if (extra.Count > 0)
            throw new DiffusionAlignException(
                $"{source} has weights the config does not know, e.g. '{string.Join("', '", extra)}'");
    }

    /// <summary>Copies each named parameter from <paramref name="tensors"/>, which must hold it, same shape.</summary>
    private static void CopyIn(IEnumerable<(string name, Parameter parameter)> parameters,
        IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        using var _ = no_grad();
        foreach (var (key, p) in parameters)
        {
            if (!tensors.TryGetValue(key, out var value))
                throw new DiffusionAlignException($"{source} lacks weight '{key}'");
            if (!value.shape.SequenceEqual(p.shape))
                throw new DiffusionAlignException(
                    $"{source}: weight '{key}' has shape [{string.Join(",", value.shape)}], "
                    + $"the config expects [{string.Join(",", p.shape)}]");
            p.copy_(value);
        }
    }

    /// <summary>A deep copy with the same weights (e.g. the frozen reference for preference training).</summary>
    public TextToImageModel Copy()
    {
        var copy = new TextToImageModel(Config, Device, Tokenizer) { SourceFolder = SourceFolder };
        using (NewDisposeScope())
        {
            copy.LoadStateTensors(StateTensors(), "copy");
            if (Vae is not null) copy.Vae!.load_state_dict(Vae.state_dict());
        }
        if (ComputeType != ScalarType.Float32) copy.UsePrecision(ComputeType);
        return copy;
    }

    /// <summary>
    /// Adds LoRA adapters to the UNet's attention projections (and the text encoder's when
    /// <see cref="LoraConfig.TextEncoder"/>), initialised from <paramref name="seed"/>: the model's output is
    /// unchanged until they train. Only adapters train afterwards; with them disabled
    /// (<see cref="AdaptersDisabled"/>) the model is exactly the base model, which serves as the reference.
    /// </summary>
    public void AddLora(LoraConfig lora, long seed)
    {
        lora.Validate();
        if (HasAdapters && Config.Lora != lora)
            throw new DiffusionAlignException("the model already carries LoRA adapters of another shape");
        if (!HasAdapters)
        {
            LoraAdapters.Add(Unet, lora with { TextEncoder = false }, seed);
            if (lora.TextEncoder) LoraAdapters.Add(TextEncoder, lora, StepSeeds.Mix(seed, 1, StepSeeds.Stream.Lora));
            LoraAdapters.Parameters(Modules).ToList().ForEach(p => p.requires_grad = true);
        }
        Config = Config with { Lora = lora };
        if (ComputeType != ScalarType.Float32) UsePrecision(ComputeType);
    }

    /// <summary>Whether LoRA adapters are attached.</summary>
    public bool HasAdapters => LoraAdapters.Parameters(Modules).Count > 0;

    /// <summary>Turns every adapter off until disposed: the model computes as its base model.</summary>
    public IDisposable AdaptersDisabled() => LoraAdapters.Disabled(Modules);

    /// <summary>
    /// The parameters alignment trains: the adapters when there are any, else every UNet weight (the text
    /// encoder stays frozen, as in Diffusion-DPO).
    /// </summary>
    public IReadOnlyList<Parameter> TrainableParameters() =>
        HasAdapters
            ? LoraAdapters.Parameters(Modules).Where(p => Config.Lora!.TextEncoder || IsUnetParameter(p)).ToList()
            : Unet.parameters().ToList();

    /// <summary>The names (as in <see cref="StateTensors"/>) of <see cref="TrainableParameters"/>.</summary>
    public IReadOnlyList<string> TrainableNames()
    {
        var trainable = new HashSet<Parameter>(TrainableParameters(), ReferenceEqualityComparer.Instance);
        return Modules.named_parameters().Where(p => trainable.Contains(p.parameter)).Select(p => p.name).ToList();
    }

    private bool IsUnetParameter(Parameter p) => Unet.parameters().Any(q => ReferenceEquals(p, q));

    /// <summary>
    /// Computes in <paramref name="dtype"/> (bfloat16 halves weight memory and, where the CPU or GPU has
    /// bf16 kernels, time): frozen weights are converted; adapters stay float32 so their updates are not
    /// rounded away. Full fine-tuning needs float32 weights (there are no float32 master copies here).
    /// </summary>
    public void UsePrecision(ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new DiffusionAlignException($"precision {dtype} is not supported (float32 or bfloat16)");
        // Whole modules convert (a parameter cannot change dtype in place); adapters go back to float32.
        Modules.to(dtype);
        foreach (var adapter in Modules.modules().OfType<LoraAdapter>()) adapter.to(ScalarType.Float32);
        Vae?.to(dtype);
        ComputeType = dtype;
    }

    /// <summary>
    /// The shape of one sample the UNet denoises for images of <paramref name="height"/> ×
    /// <paramref name="width"/> pixels (the model's native size when null): <c>[3, H, W]</c> for a pixel model,
    /// <c>[latent channels, H/f, W/f]</c> for a latent one.
    /// </summary>
    /// <exception cref="DiffusionAlignException">A side that is not a positive multiple of the VAE factor.</exception>
    public long[] SampleShape(int? height = null, int? width = null)
    {
        int h = height ?? Config.ImageSize, w = width ?? Config.ImageSize;
        if (Vae is null)
        {
            if (h <= 0 || w <= 0) throw new DiffusionAlignException($"height and width must be positive, got {h}×{w}");
            return [Config.Unet.InChannels, h, w];
        }
        int f = Vae.Config.DownscaleFactor;
        if (h <= 0 || w <= 0 || h % f != 0 || w % f != 0)
            throw new DiffusionAlignException($"height and width must be positive multiples of {f}, got {h}×{w}");
        return [Vae.Config.LatentChannels, h / f, w / f];
    }

    /// <summary>
    /// The VAE's latent distribution of images in [−1, 1] <c>[B, 3, H, W]</c>: mean and log-variance in
    /// float32, computed without a graph. A pixel model has none.
    /// </summary>
    public (Tensor Mean, Tensor LogVar) LatentMoments(Tensor images)
    {
        if (Vae is null) throw new InvalidOperationException("a pixel model has no latent distribution");
        using var scope = NewDisposeScope();
        using var mode = inference_mode(true);
        var (mean, logVar) = Vae.Encode(images.to(Device).to_type(ComputeType));
        // Clones made outside inference mode are ordinary tensors that later graph ops may use.
        Tensor mean32, logVar32;
        using (inference_mode(false))
        {
            mean32 = mean.to_type(ScalarType.Float32).clone();
            logVar32 = logVar.to_type(ScalarType.Float32).clone();
        }
        return (mean32.MoveToOuterDisposeScope(), logVar32.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Training samples from a latent distribution, as diffusers' training scripts draw them:
    /// <c>(mean + σ·ε) × scaling_factor</c>, ε from <paramref name="generator"/>.
    /// </summary>
    public Tensor LatentSample(Tensor mean, Tensor logVar, Generator generator)
    {
        if (Vae is null) throw new InvalidOperationException("a pixel model has no latents");
        using var eps = randn(mean.shape, generator: generator, device: generator.device);
        return LatentSample(mean, logVar, eps);
    }

    /// <summary>
    /// The same with the standard-normal draws <paramref name="eps"/> given (shaped as <paramref name="mean"/>): a
    /// data-parallel process draws a whole batch's and keeps its rows (<see cref="Training.BatchShard"/>).
    /// </summary>
    public Tensor LatentSample(Tensor mean, Tensor logVar, Tensor eps)
    {
        if (Vae is null) throw new InvalidOperationException("a pixel model has no latents");
        using var scope = NewDisposeScope();
        using var half = 0.5.ToScalar();
        using var scaling = Vae.Config.ScalingFactor.ToScalar();
        var sample = TensorSum.Add(mean, logVar.mul(half).exp().mul(eps.to(mean.device))).mul(scaling);
        return sample.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// What the UNet trains on for images in [−1, 1]: the images themselves (pixel model) or latents drawn
    /// from the VAE's distribution with <paramref name="generator"/> (latent model).
    /// </summary>
    public Tensor TrainingSamples(Tensor images, Generator generator)
    {
        if (Vae is null) return images.to(Device);
        var (mean, logVar) = LatentMoments(images);
        using (mean)
        using (logVar)
            return LatentSample(mean, logVar, generator);
    }

    /// <summary>
    /// What held-out images are scored as: the images (pixel model), or the mean of the VAE's distribution
    /// times the scaling factor (latent model), so every model with the same VAE scores the same samples.
    /// </summary>
    public Tensor EvaluationSamples(Tensor images)
    {
        if (Vae is null) return images.to(Device);
        var (mean, logVar) = LatentMoments(images);
        logVar.Dispose();
        using (mean)
        using (var scaling = Vae.Config.ScalingFactor.ToScalar())
            return mean.mul(scaling);
    }

    /// <summary>
    /// Images in [−1, 1] <c>[B, 3, H, W]</c> (float32) from denoised samples: decoded through the VAE for a
    /// latent model (after dividing by the scaling factor), clamped.
    /// </summary>
    public Tensor ToImages(Tensor samples)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var low = (-1.0).ToScalar();
        using var high = 1.0.ToScalar();
        Tensor images;
        if (Vae is null) images = samples.clamp(low, high);
        else
        {
            using var scaling = (1.0 / Vae.Config.ScalingFactor).ToScalar();
            images = Vae.Decode(samples.to_type(ComputeType).mul(scaling)).to_type(ScalarType.Float32)
                .clamp(low, high);
        }
        return images.MoveToOuterDisposeScope();
    }

    /// <summary>Stops gradients and switches to inference mode (reference models, sampling).</summary>
    public void Freeze()
    {
        foreach (var p in Modules.parameters()) p.requires_grad = false;
        Modules.eval();
    }

    /// <summary>Token ids [B, L] (int64, on the model's device).</summary>
    public Tensor TokenIds(IReadOnlyList<string> prompts)
    {
        int length = Tokenizer.MaxLength;
        var ids = new long[prompts.Count * length];
        for (int i = 0; i < prompts.Count; i++)
        {
            int[] encoded = Tokenizer.Encode(prompts[i]);
            for (int j = 0; j < length; j++) ids[i * length + j] = encoded[j];
        }
        return tensor(ids, new long[] { prompts.Count, length }, dtype: int64, device: Device);
    }

    /// <summary>Text encoder hidden states [B, L, cross_attention_dim] for the prompts.</summary>
    public Tensor EncodeText(IReadOnlyList<string> prompts)
    {
        using var ids = TokenIds(prompts);
        return TextEncoder.forward(ids);
    }

    /// <summary>The UNet's prediction (ε or v, per the schedule's prediction type), in float32.</summary>
    public Tensor Predict(Tensor noisy, Tensor timesteps, Tensor textStates)
    {
        if (ComputeType == ScalarType.Float32) return Unet.forward(noisy, timesteps, textStates);
        using var scope = NewDisposeScope();
        var output = Unet.forward(noisy.to_type(ComputeType), timesteps, textStates.to_type(ComputeType));
        return output.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Number of trainable scalars in UNet and text encoder.</summary>
    public long ParameterCount =>
        Modules.parameters().Sum(p => p.numel());

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static ModelConfig ReadConfig(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelConfig>(File.ReadAllText(path), JsonOptions)
                   ?? throw new DiffusionAlignException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not a valid model config: {e.Message}");
        }
    }


    public void Dispose()
    {
        Modules.Dispose();
        Vae?.Dispose();
        Schedule.Dispose();
    }
}
