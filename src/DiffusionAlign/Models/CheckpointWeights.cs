using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// Loads a flat name → tensor map (a diffusers/transformers checkpoint) into a module whose parameter
/// names mirror the checkpoint, refusing any mismatch with a message that names the offending keys.
/// </summary>
public static class CheckpointWeights
{
    private const int ShownKeys = 5;

    /// <summary>
    /// Checks names and shapes, then calls <c>load_state_dict(strict: true)</c>. Keys in
    /// <paramref name="ignoredKeys"/> are dropped from <paramref name="weights"/> first (for tensors a
    /// checkpoint may or may not carry that the model does not keep, such as CLIP's <c>position_ids</c>).
    /// </summary>
    /// <exception cref="DiffusionAlignException">For missing, unexpected or mis-shaped tensors.</exception>
    public static void LoadStrict(nn.Module module, IReadOnlyDictionary<string, Tensor> weights, string what,
        IEnumerable<string>? ignoredKeys = null)
    {
        var target = module.state_dict();
        CheckShapes(
            weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape),
            target.ToDictionary(kv => kv.Key, kv => kv.Value.shape), what, "the model", ignoredKeys);
        var ignored = new HashSet<string>(ignoredKeys ?? []);
        var source = weights.Where(kv => !ignored.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        module.load_state_dict(source, strict: true);
    }

    /// <summary>
    /// The name and shape checks of <see cref="LoadStrict"/> on shapes alone, e.g. a safetensors header's
    /// against a model's <c>CheckpointShapes</c>, so a mismatch is found before anything is allocated.
    /// </summary>
    /// <param name="found">The checkpoint's names and shapes.</param>
    /// <param name="expected">The model's names and shapes.</param>
    /// <param name="what">Starts every message: the checkpoint, and its file where known.</param>
    /// <param name="expecter">Who expects <paramref name="expected"/>: "the model", or a config file.</param>
    /// <param name="ignoredKeys">Names the checkpoint may carry that the model does not keep.</param>
    /// <exception cref="DiffusionAlignException">For missing, unexpected or mis-shaped tensors.</exception>
    public static void CheckShapes(IReadOnlyDictionary<string, long[]> found,
        IReadOnlyDictionary<string, long[]> expected, string what, string expecter,
        IEnumerable<string>? ignoredKeys = null)
    {
        var ignored = new HashSet<string>(ignoredKeys ?? []);
        var missing = expected.Keys.Where(k => !found.ContainsKey(k)).ToList();
        var unexpected = found.Keys.Where(k => !expected.ContainsKey(k) && !ignored.Contains(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new DiffusionAlignException(
                $"{what} does not match {expecter}: {missing.Count} missing ({Sample(missing)}), "
                + $"{unexpected.Count} unexpected ({Sample(unexpected)})");

        foreach (var (key, shape) in found)
        {
            if (ignored.Contains(key) && !expected.ContainsKey(key)) continue;
            if (!shape.SequenceEqual(expected[key]))
                throw new DiffusionAlignException(
                    $"{what}: {key} has shape [{string.Join(", ", shape)}], "
                    + $"{expecter} expects [{string.Join(", ", expected[key])}]");
        }
    }

    private static string Sample(IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "none" : string.Join(", ", keys.Take(ShownKeys)) + (keys.Count > ShownKeys ? ", ..." : "");
}
