using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// A Stable Diffusion pipeline in the diffusers folder layout (<c>model_index.json</c>, <c>unet/</c>,
/// <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c>) read into a latent
/// <see cref="TextToImageModel"/> and written back. Every architectural choice comes from the folder's
/// configs; the model samples with DDIM whatever scheduler class the folder names, with the folder's
/// schedule settings.
/// </summary>
public static class DiffusersPipelineFolder
{
    public const string IndexFileName = "model_index.json";
    public const string DiffusersWeightsStem = "diffusion_pytorch_model";
    public const string TransformersWeightsStem = "model";

    private static readonly string[] CopiedParts = ["scheduler", "tokenizer"];

    /// <summary>Whether <paramref name="folder"/> is a diffusers pipeline folder (a model_index.json).</summary>
    public static bool IsPipelineFolder(string folder) => File.Exists(Path.Combine(folder, IndexFileName));

    /// <exception cref="DiffusionAlignException">
    /// A missing part, a config we do not build, or weights that do not fit.
    /// </exception>
    public static TextToImageModel Load(string folder, Device? device = null)
    {
        if (!Directory.Exists(folder)) throw new DiffusionAlignException($"model folder not found: {folder}");
        if (!IsPipelineFolder(folder))
            throw new DiffusionAlignException($"{folder} has no {IndexFileName}: not a diffusers pipeline folder");
        string Part(string name)
        {
            string path = Path.Combine(folder, name);
            if (!Directory.Exists(path)) throw new DiffusionAlignException($"{folder} has no {name}/ folder");
            return path;
        }

        var unet = UNet2DConditionConfig.Load(Path.Combine(Part("unet"), "config.json"));
        var vae = AutoencoderKLConfig.Load(Path.Combine(Part("vae"), "config.json"));
        var config = new ModelConfig
        {
            Format = ModelConfig.DiffusersFormat,
            ImageSize = (unet.SampleSize ?? 64) * vae.DownscaleFactor,
            Unet = unet,
            Vae = vae,
            TextEncoder = ClipTextConfig.Load(Path.Combine(Part("text_encoder"), "config.json")),
            Scheduler = NoiseScheduleConfig.Load(Path.Combine(Part("scheduler"), "scheduler_config.json")),
            Tokenizer = "clip",
        };
        var tokenizer = ClipTokenizer.FromFolder(Part("tokenizer"));
        // A tokenizer_config.json without model_max_length leaves CLIP's 77, so the length is its to answer for.
        TextToImageModel.CheckTokenizerFits(tokenizer, config.TextEncoder,
            Path.Combine(Part("tokenizer"), "vocab.json"), Path.Combine(Part("tokenizer"), "tokenizer_config.json"),
            Path.Combine(Part("text_encoder"), "config.json"));
        // The headers are checked against the configs before any module is built: a damaged config (a
        // vocab_size of millions) would otherwise cost its full size in memory before the mismatch shows.
        CheckWeights(Part("unet"), DiffusersWeightsStem, "UNet", unet.LayerCount,
            () => UNet2DConditionModel.CheckpointShapes(unet));
        CheckWeights(Part("vae"), DiffusersWeightsStem, "VAE", vae.LayerCount,
            () => AutoencoderKL.CheckpointShapes(vae));
        CheckWeights(Part("text_encoder"), TransformersWeightsStem, "CLIP text", config.TextEncoder.NumHiddenLayers,
            () => ClipTextModel.CheckpointShapes(config.TextEncoder), ClipTextModel.OptionalCheckpointKeys);
        var model = new TextToImageModel(config, device ?? CPU, tokenizer) { SourceFolder = Path.GetFullPath(folder) };
        try
        {
            LoadInto(DiffusersWeights.Read(Part("unet"), DiffusersWeightsStem), model.Unet.LoadCheckpoint);
            LoadInto(DiffusersWeights.Read(Part("vae"), DiffusersWeightsStem), model.Vae!.LoadCheckpoint);
            LoadInto(DiffusersWeights.Read(Part("text_encoder"), TransformersWeightsStem),
                model.TextEncoder.LoadCheckpoint);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a diffusers folder that diffusers' <c>from_pretrained</c> loads: the
    /// source folder's index, configs, scheduler and tokenizer, and every component's weights as float32
    /// safetensors. Adapters are merged into the weights when <paramref name="mergeLora"/>, else written beside
    /// them in diffusers' LoRA file (which <c>load_lora_weights</c> reads), with
    /// <see cref="AlignmentRunFolder"/>'s note so DiffusionAlign re-applies them on load.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Not a latent model read from a diffusers folder.</exception>
    public static void Save(TextToImageModel model, string dir, bool mergeLora,
        IReadOnlyDictionary<string, string>? provenance = null)
    {
        if (!model.IsLatent || model.SourceFolder is not string source)
            throw new DiffusionAlignException(
                "only a Stable Diffusion model read from a diffusers folder can be written as one");
        bool separateAdapters = model.HasAdapters && !mergeLora;
        if (mergeLora && model.HasAdapters) LoraAdapters.Merge(model.Modules);
        Directory.CreateDirectory(dir);
        bool sameFolder = Path.GetFullPath(dir).TrimEnd('/') == source.TrimEnd('/');
        if (!sameFolder)
        {
            CopyFile(Path.Combine(source, IndexFileName), Path.Combine(dir, IndexFileName));
            foreach (string part in CopiedParts)
                foreach (string file in Directory.EnumerateFiles(Path.Combine(source, part)))
                    CopyFile(file, Path.Combine(dir, part, Path.GetFileName(file)));
            foreach (string part in new[] { "unet", "vae", "text_encoder" })
                CopyFile(Path.Combine(source, part, "config.json"), Path.Combine(dir, part, "config.json"));
        }
        WriteWeights(model.Unet, Path.Combine(dir, "unet", DiffusersWeightsStem + ".safetensors"));
        WriteWeights(model.Vae!, Path.Combine(dir, "vae", DiffusersWeightsStem + ".safetensors"));
        WriteWeights(model.TextEncoder, Path.Combine(dir, "text_encoder", TransformersWeightsStem + ".safetensors"));
        AlignmentRunFolder.WriteNote(dir, baseModel: null, separateAdapters ? model : null, provenance);
    }

    /// <summary>A module's base weights (no adapters) as float32 safetensors, the names diffusers uses.</summary>
    private static void WriteWeights(nn.Module module, string path)
    {
        using var scope = NewDisposeScope();
        var tensors = module.state_dict()
            .Where(kv => !LoraAdapters.IsAdapterParameter(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value.detach().to_type(ScalarType.Float32));
        SafetensorsFile.Write(path, tensors);
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        AtomicFile.Write(to, stream =>
        {
            using var input = File.OpenRead(from);
            input.CopyTo(stream);
        });
    }

    /// <param name="layers">A lower bound on the tensors the config's model holds: a damaged count of layers is
    /// refused here, before even a META build of them would take hours.</param>
    /// <param name="expected">The config's names and shapes, built on the META device.</param>
    private static void CheckWeights(string part, string stem, string what, double layers,
        Func<IReadOnlyDictionary<string, long[]>> expected, IEnumerable<string>? ignoredKeys = null)
    {
        var (source, found) = DiffusersWeights.ReadShapes(part, stem);
        string config = Path.Combine(part, "config.json");
        if (layers > found.Count)
            throw new DiffusionAlignException(
                $"{what} checkpoint {source} holds {found.Count} tensors, fewer than the {layers} layers {config} "
                + "describes");
        CheckpointWeights.CheckShapes(found, expected(), $"{what} checkpoint {source}", config, ignoredKeys);
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
}
