using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// The activation functions named in diffusers/transformers configs, as plain functions: they
/// have no parameters, so they stay out of the module tree and the checkpoint names.
/// </summary>
public static class Activation
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> ByName = new()
    {
        ["silu"] = x => nn.functional.silu(x),
        ["swish"] = x => nn.functional.silu(x),
        ["mish"] = x => nn.functional.mish(x),
        ["gelu"] = x => nn.functional.gelu(x),
        // OpenAI CLIP's sigmoid approximation of GELU: x * sigmoid(1.702 x).
        ["quick_gelu"] = x => x * torch.sigmoid(x * 1.702),
    };

    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IEnumerable<string> Names => ByName.Keys;

    public static bool IsKnown(string? name) => name is not null && ByName.ContainsKey(name);

    /// <summary>
    /// The activation called <paramref name="name"/> in a config (silu, swish, mish, gelu, quick_gelu).
    /// </summary>
    /// <exception cref="DiffusionAlignException">For an unknown name.</exception>
    public static Func<Tensor, Tensor> Get(string name) =>
        ByName.TryGetValue(name, out var f)
            ? f
            : throw new DiffusionAlignException($"unknown activation \"{name}\" (known: {string.Join(", ", Names)})");
}
