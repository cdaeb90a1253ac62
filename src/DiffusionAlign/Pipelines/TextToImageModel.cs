using System.Text.Json;
using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// A text-to-image diffusion model as one object: UNet, CLIP-style text encoder, tokenizer and
/// noise schedule, built from a <see cref="ModelConfig"/>. Saved as a folder with
/// <c>config.json</c> and <c>model.safetensors</c>; <see cref="Load"/> is the inverse of <see cref="Save"/>.
/// </summary>
public sealed class TextToImageModel : IDisposable
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";

    private TextToImageModel(ModelConfig config, Device device)
    {
        Config = config;
        Device = device;
        Modules = new DiffusionModules(new UNet2DConditionModel(config.Unet), new ClipTextModel(config.TextEncoder));
        Tokenizer = TokenizerRegistry.Create(config.Tokenizer);
        Schedule = new NoiseSchedule(config.Scheduler);
        Modules.to(device);
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
    /// Builds a freshly initialised model; <paramref name="seed"/> fixes the initial weights. Seeding goes
    /// through LibTorch's process-wide generator, so another thread drawing random numbers at the same
    /// time changes the result: use <see cref="Copy"/> when several identical models are needed.
    /// </summary>
    public static TextToImageModel Create(ModelConfig config, long seed, Device? device = null)
    {
        torch.manual_seed(seed);
        return new TextToImageModel(config, device ?? CPU);
    }

    /// <summary>Loads a model folder written by <see cref="Save"/>.</summary>
    /// <exception cref="DiffusionAlignException">The folder or its files are missing or malformed.</exception>
    public static TextToImageModel Load(string dir, Device? device = null)
    {
        if (!Directory.Exists(dir)) throw new DiffusionAlignException($"model folder not found: {dir}");
        string configPath = Path.Combine(dir, ConfigFileName);
        string weightsPath = Path.Combine(dir, WeightsFileName);
        if (!File.Exists(configPath))
            throw new DiffusionAlignException($"{dir} is not a model folder: {ConfigFileName} is missing");
        if (!File.Exists(weightsPath))
            throw new DiffusionAlignException($"{dir} is not a model folder: {WeightsFileName} is missing");
        ModelConfig config = ReadConfig(configPath);
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
    /// Writes <c>config.json</c> and <c>model.safetensors</c> into <paramref name="dir"/>, each file atomically.
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

    /// <summary>Copies weights in; every parameter must be present with its exact shape.</summary>
    public void LoadStateTensors(IReadOnlyDictionary<string, Tensor> tensors, string source = "checkpoint")
    {
        using var _ = no_grad();
        var expected = new HashSet<string>();
        foreach (var (key, p) in Modules.named_parameters())
        {
            expected.Add(key);
            if (!tensors.TryGetValue(key, out var value))
                throw new DiffusionAlignException($"{source} lacks weight '{key}'");
            if (!value.shape.SequenceEqual(p.shape))
                throw new DiffusionAlignException(
                    $"{source}: weight '{key}' has shape [{string.Join(",", value.shape)}], "
                    + $"the config expects [{string.Join(",", p.shape)}]");
            p.copy_(value);
        }
        var extra = tensors.Keys.Where(k => !expected.Contains(k)).Take(3).ToList();
        if (extra.Count > 0)
            throw new DiffusionAlignException(
                $"{source} has weights the config does not know, e.g. '{string.Join("', '", extra)}'");
    }

    /// <summary>A deep copy with the same weights (e.g. the frozen reference for preference training).</summary>
    public TextToImageModel Copy()
    {
        var copy = new TextToImageModel(Config, Device);
        using (NewDisposeScope()) copy.LoadStateTensors(StateTensors(), "copy");
        return copy;
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

    /// <summary>The UNet's prediction (ε or v, per the schedule's prediction type).</summary>
    public Tensor Predict(Tensor noisy, Tensor timesteps, Tensor textStates) =>
        Unet.forward(noisy, timesteps, textStates);

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
    }
}
