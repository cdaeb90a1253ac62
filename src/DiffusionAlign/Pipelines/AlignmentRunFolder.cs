using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.IO;
using DiffusionAlign.Models.Lora;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// What alignment leaves for a Stable Diffusion model, in the form diffusers' LoRA scripts use: the adapters
/// alone in diffusers' LoRA file next to a note (<c>dalign_run.json</c>) naming the base pipeline folder,
/// so a run costs megabytes, not a copy of the base. A diffusers folder written with adapters unmerged
/// carries the same note with no base (the folder is its own base). <see cref="TextToImageModel.Load"/>
/// reads both: base, then adapters.
/// </summary>
public static class AlignmentRunFolder
{
    public const string NoteFileName = "dalign_run.json";

    /// <summary>The note: where the base weights are and which adapters sit on them.</summary>
    public sealed record Note
    {
        /// <summary>The base diffusers folder (absolute); null when the note's own folder is the base.</summary>
        [JsonPropertyName("base_model")] public string? BaseModel { get; init; }

        [JsonPropertyName("lora")] public LoraConfig? Lora { get; init; }

        [JsonPropertyName("provenance")] public Dictionary<string, string> Provenance { get; init; } = new();
    }

    public static bool IsRunFolder(string dir) => File.Exists(Path.Combine(dir, NoteFileName));

    /// <summary>Writes the adapters of <paramref name="model"/> and the note naming its base folder.</summary>
    public static void Save(TextToImageModel model, string dir, IReadOnlyDictionary<string, string>? provenance = null)
    {
        if (!model.IsLatent || model.SourceFolder is null || !model.HasAdapters)
            throw new InvalidOperationException("a run folder holds the adapters of a model read from diffusers");
        Directory.CreateDirectory(dir);
        WriteNote(dir, model.SourceFolder, model, provenance);
    }

    /// <summary>
    /// Writes the note, and the adapters of <paramref name="adapted"/> when given. The base is
    /// <paramref name="baseModel"/>, or the note's own folder when null.
    /// </summary>
    internal static void WriteNote(string dir, string? baseModel, TextToImageModel? adapted,
        IReadOnlyDictionary<string, string>? provenance)
    {
        LoraConfig? lora = null;
        if (adapted is not null)
        {
            using var scope = NewDisposeScope();
            var tensors = LoraAdapters.ToDiffusers(adapted.Unet, "unet");
            foreach (var (k, v) in LoraAdapters.ToDiffusers(adapted.TextEncoder, "text_encoder")) tensors[k] = v;
            SafetensorsFile.Write(Path.Combine(dir, LoraAdapters.WeightsFileName), tensors);
            lora = LoraAdapters.SavedConfig(adapted.Config.Lora!);
        }
        var note = new Note
        {
            BaseModel = baseModel,
            Lora = lora,
            Provenance = new Dictionary<string, string>(provenance ?? new Dictionary<string, string>()),
        };
        AtomicFile.Write(Path.Combine(dir, NoteFileName),
            stream => JsonSerializer.Serialize(stream, note, TextToImageModel.JsonOptions));
    }

    /// <exception cref="DiffusionAlignException">A malformed note, a missing base or adapter file.</exception>
    public static TextToImageModel Load(string dir, Device? device = null)
    {
        var note = ReadNote(dir);
        string baseFolder = note.BaseModel ?? dir;
        if (!DiffusersPipelineFolder.IsPipelineFolder(baseFolder))
            throw new DiffusionAlignException(
                $"{Path.Combine(dir, NoteFileName)} names {baseFolder} as its base, which is not a diffusers folder");
        var model = DiffusersPipelineFolder.Load(baseFolder, device);
        if (note.Lora is null) return model;
        try
        {
            string path = Path.Combine(dir, LoraAdapters.WeightsFileName);
            if (!File.Exists(path)) throw new DiffusionAlignException($"{dir} has no {LoraAdapters.WeightsFileName}");
            model.AddLora(note.Lora, seed: 0);
            var weights = SafetensorsFile.Read(path);
            try
            {
                LoraAdapters.FromDiffusers(model.Unet, weights, "unet");
                if (note.Lora.TextEncoder) LoraAdapters.FromDiffusers(model.TextEncoder, weights, "text_encoder");
            }
            finally
            {
                foreach (var t in weights.Values) t.Dispose();
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    public static Note ReadNote(string dir)
    {
        string path = Path.Combine(dir, NoteFileName);
        try
        {
            return JsonSerializer.Deserialize<Note>(File.ReadAllText(path))
                ?? throw new DiffusionAlignException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not a DiffusionAlign run note: {e.Message}");
        }
    }
}
