using System.Text.Json;
using DiffusionAlign.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// A resumable training state in a folder: tensors (weights, moving averages) in
/// <c>state.safetensors</c>, the optimizer's moments and step count in <c>optimizer.safetensors</c>
/// (<see cref="FlatAdamW.StateTensors"/>), and the step plus run settings in <c>state.json</c>.
/// Written to a sibling temp folder and swapped in, so a crash while saving leaves the previous
/// checkpoint intact.
/// </summary>
public static class TrainingCheckpoint
{
    private const string StateFile = "state.json";
    private const string TensorsFile = "state.safetensors";
    private const string OptimizerFile = "optimizer.safetensors";

    /// <summary>What a checkpoint records besides tensors.</summary>
    public sealed record Info(int Step, string Kind, JsonElement Settings);

    public static void Save(string dir, Info info, IReadOnlyDictionary<string, Tensor> tensors,
        FlatAdamW optimizer)
    {
        string full = Path.GetFullPath(dir);
        string tmp = full + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        SafetensorsFile.Write(Path.Combine(tmp, TensorsFile), tensors);
        using (NewDisposeScope()) SafetensorsFile.Write(Path.Combine(tmp, OptimizerFile), optimizer.StateTensors());
        var indented = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(info, indented));
        string old = full + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(tmp, full);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>
    /// True if <paramref name="dir"/> holds a checkpoint (or its previous copy survived a crash
    /// mid-swap).
    /// </summary>
    public static bool Exists(string dir) => ResolveExisting(dir) is not null;

    public static (Info Info, Dictionary<string, Tensor> Tensors) Load(string dir, FlatAdamW optimizer,
        string expectedKind)
    {
        string found = ResolveExisting(dir) ?? throw new DiffusionAlignException($"no checkpoint to resume in {dir}");
        Info info;
        try
        {
            info = JsonSerializer.Deserialize<Info>(File.ReadAllText(Path.Combine(found, StateFile)))
                   ?? throw new DiffusionAlignException($"empty checkpoint state in {found}");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"checkpoint state in {found} is not valid JSON: {e.Message}");
        }
        if (info.Kind != expectedKind)
            throw new DiffusionAlignException(
                $"checkpoint in {found} is from a '{info.Kind}' run, not '{expectedKind}'");
        string optimizerPath = Path.Combine(found, OptimizerFile);
        var optimizerState = SafetensorsFile.Read(optimizerPath);
        try
        {
            optimizer.LoadState(optimizerState, source: optimizerPath);
        }
        finally
        {
            foreach (var t in optimizerState.Values) t.Dispose();
        }
        return (info, SafetensorsFile.Read(Path.Combine(found, TensorsFile)));
    }

    private static string? ResolveExisting(string dir)
    {
        string full = Path.GetFullPath(dir);
        foreach (string candidate in new[] { full, full + ".old" })
        {
            if (new[] { StateFile, TensorsFile, OptimizerFile }.All(f => File.Exists(Path.Combine(candidate, f))))
                return candidate;
        }
        return null;
    }
}
