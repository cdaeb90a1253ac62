// A saved policy mixture: a small folder whose manifest names the policies' model folders and their weights.
using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.IO;
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Mixing;

/// <summary>
/// A <see cref="PolicyMixture"/> on disk: <c>mixture.json</c> alone, naming each policy's model folder (relative to
/// the mixture folder, so a tree of runs can move as a whole) and its weight. No weights are copied.
/// <see cref="PolicyFolder.Load"/> opens it wherever a model folder is read for sampling or evaluation.
/// </summary>
public static class MixtureFolder
{
    public const string ManifestFileName = "mixture.json";

    /// <summary>Identifies the manifest's layout; bumped if it ever changes incompatibly.</summary>
    public const string CurrentFormat = "dalign-policy-mixture-v1";

    /// <summary>The manifest.</summary>
    public sealed record Manifest
    {
        [JsonPropertyName("format")] public string? Format { get; init; }

        [JsonPropertyName("policies")] public List<Entry>? Policies { get; init; }

        /// <summary>How the weights were chosen (given, or the mirror descent's settings), for tracing.</summary>
        [JsonPropertyName("provenance")] public Dictionary<string, string> Provenance { get; init; } = new();
    }

    /// <summary>One policy: its name, its model folder (relative to the mixture folder, or absolute), its weight.
    /// </summary>
    public sealed record Entry(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("folder")] string? Folder,
        [property: JsonPropertyName("weight")] double? Weight);

    public static bool IsMixtureFolder(string dir) => File.Exists(Path.Combine(dir, ManifestFileName));

    /// <summary>Writes <c>dir/mixture.json</c> (atomically) for the policies in their folders.</summary>
    public static void Save(string dir, IReadOnlyList<(string Name, string Folder)> policies, MixtureWeights weights,
        IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != policies.Count)
            throw new ArgumentException($"{weights.Count} weights for {policies.Count} policies", nameof(weights));
        Directory.CreateDirectory(dir);
        string root = Path.GetFullPath(dir);
        var manifest = new Manifest
        {
            Format = CurrentFormat,
            Policies = [.. policies.Select((p, i) =>
                new Entry(p.Name, Path.GetRelativePath(root, Path.GetFullPath(p.Folder)), weights[i]))],
            Provenance = new Dictionary<string, string>(provenance ?? new Dictionary<string, string>()),
        };
        AtomicFile.Write(Path.Combine(dir, ManifestFileName),
            stream => JsonSerializer.Serialize(stream, manifest, TextToImageModel.JsonOptions));
    }

    /// <summary>The policies' names, resolved folders and weights, checked but not loaded.</summary>
    /// <exception cref="DiffusionAlignException">A missing or malformed manifest, naming the file.</exception>
    public static (IReadOnlyList<(string Name, string Folder)> Policies, MixtureWeights Weights) Read(string dir)
    {
        string path = Path.Combine(dir, ManifestFileName);
        if (!File.Exists(path))
            throw new DiffusionAlignException($"{dir} is not a mixture folder: no {ManifestFileName}");
        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path))
                ?? throw new DiffusionAlignException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not a valid mixture manifest: {e.Message}");
        }
        if (manifest.Format != CurrentFormat)
            throw new DiffusionAlignException(
                $"{path} has format '{manifest.Format}'; this version reads '{CurrentFormat}'");
        if (manifest.Policies is not { Count: > 0 } entries)
            throw new DiffusionAlignException($"{path} names no policies");
        var policies = new List<(string, string)>();
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            if (entry is not { Name: { Length: > 0 } name, Folder: { Length: > 0 } folder, Weight: double _ })
                throw new DiffusionAlignException($"{path}: policy {i + 1} needs a name, a folder and a weight");
            policies.Add((name, Path.GetFullPath(Path.Combine(dir, folder))));
        }
        try
        {
            return (policies, MixtureWeights.Normalised(entries.Select(e => e.Weight!.Value)));
        }
        catch (DiffusionAlignException e)
        {
            throw new DiffusionAlignException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Loads every policy and returns the mixture, which owns them.</summary>
    /// <exception cref="DiffusionAlignException">A bad manifest, a policy folder that does not load (naming it),
    /// or policies that cannot be mixed.</exception>
    public static PolicyMixture Load(string dir, Device? device = null)
    {
        var (policies, weights) = Read(dir);
        var loaded = new List<(string Name, TextToImageModel Model)>();
        try
        {
            foreach (var (name, folder) in policies)
            {
                try
                {
                    loaded.Add((name, TextToImageModel.Load(folder, device)));
                }
                catch (DiffusionAlignException e)
                {
                    throw new DiffusionAlignException(
                        $"{Path.Combine(dir, ManifestFileName)}: policy '{name}': {e.Message}", e);
                }
            }
            return new PolicyMixture(loaded, weights, ownsPolicies: true);
        }
        catch
        {
            foreach (var (_, model) in loaded) model.Dispose();
            throw;
        }
    }
}
