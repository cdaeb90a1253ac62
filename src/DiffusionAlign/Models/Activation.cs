using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// The activation functions named in diffusers/transformers configs, as plain functions: they
/// have no parameters, so they stay out of the module tree and the checkpoint names.
/// </summary>
public static class Activation
{
    // A double, as `x * 1.702` passed; rooted for the process's life (TensorSum says why).
    private static readonly Scalar QuickGeluSlope = 1.702.ToScalar();

    private static readonly Dictionary<string, Func<Tensor, Tensor>> ByName = new()
    {
        ["silu"] = x => nn.functional.silu(x),
        ["swish"] = x => nn.functional.silu(x),
        ["mish"] = Mish,
        ["gelu"] = x => nn.functional.gelu(x),
        // OpenAI CLIP's sigmoid approximation of GELU: x * sigmoid(1.702 x).
        ["quick_gelu"] = QuickGelu,
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

    private static Tensor QuickGelu(Tensor x) => x * torch.sigmoid(x.mul(QuickGeluSlope));

    /// <summary>
    /// TorchSharp's mish, whose softplus makes its β and threshold Scalars internally, unrooted: TorchSharp 0.107
    /// offers no form taking Scalars, and rebuilding softplus from exp and log1p would round differently.
    /// </summary>
    private static Tensor Mish(Tensor x) => nn.functional.mish(x);
}
