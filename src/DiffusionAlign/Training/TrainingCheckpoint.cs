using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.IO;
using DiffusionAlign.Runtime;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// Resumable training states under a checkpoint folder, one sub-folder per saved step (<c>step-000050/</c>):
/// tensors (weights, moving averages) in <c>state.safetensors</c>, the optimizer's moments and step count in
/// <c>optimizer.safetensors</c> (<see cref="FlatAdamW.StateTensors"/>), the step and run settings in
/// <c>state.json</c>, and <c>manifest.json</c> with each file's size and SHA-256. A step is written into a
/// temporary folder, every file and the folder flushed, then renamed into place; only then are steps beyond
/// the newest <c>keep</c> deleted. Loading takes the newest step whose files match its manifest, and names
/// (in a warning) any newer one that does not — a crash mid-write or a damaged file costs one checkpoint.
/// </summary>
public static class TrainingCheckpoint
{
    private const string StateFile = "state.json";
    private const string TensorsFile = "state.safetensors";
    private const string OptimizerFile = "optimizer.safetensors";
    private const string ManifestFile = "manifest.json";
    private const string StepPrefix = "step-";

    /// <summary>What a checkpoint records besides tensors.</summary>
    public sealed record Info(int Step, string Kind, JsonElement Settings);

    private sealed record ManifestEntry(
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("sha256")] string Sha256);

    /// <summary>
    /// Saves step <see cref="Info.Step"/> and keeps the newest <paramref name="keep"/> steps.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Too little free disk (nothing is written).</exception>
    public static void Save(string dir, Info info, IReadOnlyDictionary<string, Tensor> tensors,
        FlatAdamW optimizer, int keep = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        string root = Path.GetFullPath(dir);
        Directory.CreateDirectory(root);
        CheckFreeDisk(root, tensors);
        string name = StepPrefix + info.Step.ToString("D6", CultureInfo.InvariantCulture);
        string tmp = Path.Combine(root, "." + name + ".tmp");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        SafetensorsFile.Write(Path.Combine(tmp, TensorsFile), tensors);
        using (NewDisposeScope()) SafetensorsFile.Write(Path.Combine(tmp, OptimizerFile), optimizer.StateTensors());
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.Write(Path.Combine(tmp, StateFile), s => JsonSerializer.Serialize(s, info, indented));
        var manifest = new[] { StateFile, TensorsFile, OptimizerFile }
            .ToDictionary(f => f, f => Describe(Path.Combine(tmp, f)));
        AtomicFile.Write(Path.Combine(tmp, ManifestFile), s => JsonSerializer.Serialize(s, manifest, indented));
        DirectorySync.Flush(tmp);
        string final = Path.Combine(root, name);
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        DirectorySync.Flush(root);
        foreach (string old in Steps(root).Skip(keep)) Directory.Delete(old, recursive: true);
    }

    /// <summary>
    /// True if <paramref name="dir"/> holds a checkpoint whose files have the sizes its manifest lists (cheap:
    /// the hashes are checked on <see cref="Load"/>).
    /// </summary>
    public static bool Exists(string dir) => Newest(dir, warn: false, hash: false) is not null;

    /// <summary>
    /// The step of the checkpoint <see cref="Load"/> would take (the newest whose files match their manifest,
    /// hashes included), or null when there is none.
    /// </summary>
    public static int? NewestStep(string dir)
    {
        string? found = Newest(dir, warn: false, hash: true);
        if (found is null) return null;
        try
        {
            return JsonSerializer.Deserialize<Info>(File.ReadAllText(Path.Combine(found, StateFile)))?.Step;
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"checkpoint state in {found} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Loads the newest sound checkpoint into <paramref name="optimizer"/> (unless null: then only the tensors
    /// are read, e.g. to restore weights for sampling) and returns its info and tensors.
    /// </summary>
    /// <exception cref="DiffusionAlignException">No sound checkpoint, or one from another kind of run.</exception>
    public static (Info Info, Dictionary<string, Tensor> Tensors) Load(string dir, FlatAdamW? optimizer,
        string expectedKind)
    {
        string found = Newest(dir, warn: true, hash: true)
            ?? throw new DiffusionAlignException($"no checkpoint to resume in {dir}");
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
        if (optimizer is null) return (info, SafetensorsFile.Read(Path.Combine(found, TensorsFile)));
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

    /// <summary>The saved steps' folders, newest first.</summary>
    private static IEnumerable<string> Steps(string root) =>
        !Directory.Exists(root)
            ? []
            : Directory.GetDirectories(root, StepPrefix + "*")
                .Where(d => int.TryParse(Path.GetFileName(d)[StepPrefix.Length..], NumberStyles.None,
                    CultureInfo.InvariantCulture, out _))
                .OrderByDescending(d => Path.GetFileName(d), StringComparer.Ordinal);

    private static string? Newest(string dir, bool warn, bool hash)
    {
        foreach (string candidate in Steps(Path.GetFullPath(dir)))
        {
            string? problem = Verify(candidate, hash);
            if (problem is null) return candidate;
            if (warn) Warnings.Report($"checkpoint {candidate} is damaged ({problem}); using the one before it");
        }
        return null;
    }

    /// <summary>Null when every file matches the manifest, else what does not.</summary>
    private static string? Verify(string folder, bool hash)
    {
        Dictionary<string, ManifestEntry>? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Dictionary<string, ManifestEntry>>(
                File.ReadAllText(Path.Combine(folder, ManifestFile)));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return "no readable manifest";
        }
        if (manifest is null) return "empty manifest";
        foreach (string file in new[] { StateFile, TensorsFile, OptimizerFile })
        {
            if (!manifest.TryGetValue(file, out var expected)) return $"the manifest does not list {file}";
            string path = Path.Combine(folder, file);
            if (!File.Exists(path)) return $"{file} is missing";
            if (new FileInfo(path).Length != expected.Bytes) return $"{file} has the wrong size";
            if (hash && Describe(path).Sha256 != expected.Sha256) return $"{file} does not match its SHA-256";
        }
        return null;
    }

    private static ManifestEntry Describe(string path)
    {
        using var stream = File.OpenRead(path);
        return new ManifestEntry(stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>Refuses before writing when the disk cannot hold another checkpoint (with a margin).</summary>
    private static void CheckFreeDisk(string root, IReadOnlyDictionary<string, Tensor> tensors)
    {
        // The optimizer's two moments are at most twice the weights it trains.
        long need = 3 * tensors.Values.Sum(t => t.numel() * t.element_size());
        long free;
        try
        {
            free = new DriveInfo(root).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return; // Unknown: let the write itself report a full disk.
        }
        long margin = 64L << 20;
        if (free < need + margin)
            throw new DiffusionAlignException(
                $"not enough free disk for a checkpoint in {root}: it needs {need >> 20} MiB, {free >> 20} MiB are "
                + "free; free some space and resume (the previous checkpoint is kept)");
    }
}
