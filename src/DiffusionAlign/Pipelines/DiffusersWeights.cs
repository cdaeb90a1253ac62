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

    /// <summary>
    /// The files of one component's weights: <see cref="Source"/> is the file a message names (the single
    /// safetensors file or the shard index), <see cref="Files"/> the safetensors files with the shard name the
    /// index gives each, and <see cref="WeightMap"/> the index's name → shard map (null for a single file).
    /// </summary>
    private sealed record WeightFiles(
        string Source, IReadOnlyList<(string Path, string? Shard)> Files, Dictionary<string, string>? WeightMap)
    {
        // A shard holds only the tensors the index maps to it, as diffusers reads them.
        public Func<string, bool>? FilterFor(string? shard) =>
            WeightMap is null ? null : name => WeightMap.GetValueOrDefault(name) == shard;
    }

    /// <summary>
    /// The names and shapes of a component's weights, read from the safetensors headers alone, with the file
    /// a message about them should name. Checking these against the model a config describes costs kilobytes,
    /// where building the model first would cost whatever a damaged config asks for.
    /// </summary>
    /// <exception cref="DiffusionAlignException">As <see cref="Read"/>.</exception>
    /// <exception cref="SafetensorsFormatException">A malformed safetensors file.</exception>
    public static (string Source, Dictionary<string, long[]> Found) ReadShapes(string folder, string stem)
    {
        var files = Locate(folder, stem);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (file, shard) in files.Files)
        {
            var filter = files.FilterFor(shard);
            foreach (var entry in SafetensorsFile.ReadHeader(file).Entries)
                if (filter is null || filter(entry.Name)) shapes[entry.Name] = entry.Shape.ToArray();
        }
        CheckMapped(files, shapes.ContainsKey);
        return (files.Source, shapes);
    }

    /// <param name="folder">The component folder.</param>
    /// <param name="stem">The weights' file stem: <c>diffusion_pytorch_model</c> (diffusers) or <c>model</c>
    /// (transformers).</param>
    /// <exception cref="DiffusionAlignException">
    /// No safetensors weights, a pickle checkpoint only, or a bad index.
    /// </exception>
    public static Dictionary<string, Tensor> Read(string folder, string stem)
    {
        var files = Locate(folder, stem);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (file, shard) in files.Files)
                foreach (var (name, tensor) in SafetensorsFile.Read(file, files.FilterFor(shard)))
                    tensors[name] = tensor;
            CheckMapped(files, tensors.ContainsKey);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return Widen(tensors);
    }

    private static WeightFiles Locate(string folder, string stem)
    {
        foreach (string name in new[] { $"{stem}.safetensors", $"{stem}.fp16.safetensors" })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return new WeightFiles(path, [(path, null)], null);
        }
        foreach (string name in new[] { $"{stem}.safetensors.index.json", $"{stem}.fp16.safetensors.index.json" })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return LocateShards(folder, path);
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

    private static WeightFiles LocateShards(string folder, string indexPath)
    {
        Dictionary<string, string> weightMap;
        try
        {
            // A name mapped twice would otherwise throw from ToDictionary, outside the errors caught below.
            using var doc = JsonDocument.Parse(
                File.ReadAllText(indexPath), new JsonDocumentOptions { AllowDuplicateProperties = false });
            weightMap = doc.RootElement.GetProperty("weight_map").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString()
                    ?? throw new DiffusionAlignException($"{indexPath}: no file for {p.Name}"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DiffusionAlignException($"{indexPath} is not a safetensors shard index: {e.Message}");
        }
        var files = new List<(string, string?)>();
        foreach (string shard in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(folder, shard);
            if (!File.Exists(path)) throw new DiffusionAlignException($"{indexPath} lists {shard}, which is missing");
            files.Add((path, shard));
        }
        return new WeightFiles(indexPath, files, weightMap);
    }

    // Every name the index maps must be in the shard it names.
    private static void CheckMapped(WeightFiles files, Func<string, bool> found)
    {
        if (files.WeightMap is null) return;
        var missing = files.WeightMap.Keys.Where(k => !found(k)).ToList();
        if (missing.Count > 0)
            throw new DiffusionAlignException($"{files.Source} maps {missing[0]} to "
                + $"{Path.Combine(Path.GetDirectoryName(files.Source)!, files.WeightMap[missing[0]])}, "
                + "which does not hold it");
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
