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
        var ignored = new HashSet<string>(ignoredKeys ?? []);
        var source = weights.Where(kv => !ignored.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var target = module.state_dict();

        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new DiffusionAlignException(
                $"{what} does not match the model: {missing.Count} missing ({Sample(missing)}), "
                + $"{unexpected.Count} unexpected ({Sample(unexpected)})");

        foreach (var (key, tensor) in source)
        {
            if (!tensor.shape.SequenceEqual(target[key].shape))
                throw new DiffusionAlignException(
                    $"{what}: {key} has shape [{string.Join(", ", tensor.shape)}], "
                    + $"the model expects [{string.Join(", ", target[key].shape)}]");
        }

        module.load_state_dict(source, strict: true);
    }

    private static string Sample(IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "none" : string.Join(", ", keys.Take(ShownKeys)) + (keys.Count > ShownKeys ? ", ..." : "");
}
