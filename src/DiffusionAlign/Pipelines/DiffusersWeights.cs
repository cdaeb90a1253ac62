using System.Text.Json;
using DiffusionAlign.IO;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// Finds and reads the weights of one component folder of a diffusers pipeline (<c>unet/</c>,
/// <c>vae/</c>, <c>text_encoder/</c>): a single <c>*.safetensors</c> file, its <c>.fp16</c> variant, or
/// shards listed by a <c>*.safetensors.index.json</c>. Half-precision tensors are widened to float32, the
/// precision the modules compute in. Pickle checkpoints (<c>.bin</c>, <c>.ckpt</c>, <c>.pt</c>) are refused:
/// loading them means running their code.
/// </summary>
public static class DiffusersWeights
{
    private static readonly string[] PickleEndings = [".bin", ".ckpt", ".pt", ".pth"];

    /// <param name="folder">The component folder.</param>
    /// <param name="stem">The weights' file stem: <c>diffusion_pytorch_model</c> (diffusers) or <c>model</c>
    /// (transformers).</param>
    /// <exception cref="DiffusionAlignException">
    /// No safetensors weights, a pickle checkpoint only, or a bad index.
    /// </exception>
    public static Dictionary<string, Tensor> Read(string folder, string stem)
    {
        foreach (string name in new[] { $"{stem}.safetensors", $"{stem}.fp16.safetensors" })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return Widen(SafetensorsFile.Read(path));
        }
        foreach (string name in new[] { $"{stem}.safetensors.index.json", $"{stem}.fp16.safetensors.index.json" })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return ReadShards(folder, path);
        }
        var pickles = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder).Where(f => PickleEndings.Contains(Path.GetExtension(f))).ToList()
            : [];
        if (pickles.Count > 0)
            throw new DiffusionAlignException(
                $"{pickles[0]} is a pickle checkpoint, which DiffusionAlign does not load (it can run code); convert "
                + "the pipeline to safetensors with diffusers: StableDiffusionPipeline.from_pretrained(DIR)"
                + ".save_pretrained(OUT, safe_serialization=True)");
        throw new DiffusionAlignException($"no {stem}.safetensors (or .fp16 variant or shard index) in {folder}");
    }

    private static Dictionary<string, Tensor> ReadShards(string folder, string indexPath)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            weightMap = doc.RootElement.GetProperty("weight_map").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString()
                    ?? throw new DiffusionAlignException($"{indexPath}: no file for {p.Name}"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DiffusionAlignException($"{indexPath} is not a safetensors shard index: {e.Message}");
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string shard in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(folder, shard);
            if (!File.Exists(path)) throw new DiffusionAlignException($"{indexPath} lists {shard}, which is missing");
            var inShard = SafetensorsFile.Read(path, name => weightMap.GetValueOrDefault(name) == shard);
            foreach (var (name, tensor) in inShard) tensors[name] = tensor;
        }
        var missing = weightMap.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new DiffusionAlignException($"{indexPath} maps {missing[0]} to a shard that does not hold it");
        return Widen(tensors);
    }

    private static Dictionary<string, Tensor> Widen(Dictionary<string, Tensor> tensors)
    {
        foreach (var name in tensors.Keys.ToList())
        {
            var tensor = tensors[name];
            if (tensor.dtype is not (ScalarType.Float16 or ScalarType.BFloat16)) continue;
            tensors[name] = tensor.to_type(ScalarType.Float32);
            tensor.Dispose();
        }
        return tensors;
    }
}
