using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// Classifier-free guidance (Ho and Salimans 2022): push the conditional prediction away from the
/// unconditional one, ε̂ = ε_uncond + w·(ε_cond − ε_uncond). w = 1 is plain conditional sampling.
/// </summary>
public static class ClassifierFreeGuidance
{
    /// <summary>uncond + scale·(cond − uncond).</summary>
    public static Tensor Combine(Tensor uncond, Tensor cond, double scale)
    {
        if (!uncond.shape.SequenceEqual(cond.shape))
            throw new ArgumentException(
                $"unconditional shape [{string.Join(", ", uncond.shape)}] "
                + $"differs from conditional shape [{string.Join(", ", cond.shape)}]",
                nameof(cond));
        using var scope = NewDisposeScope();
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using var weight = scale.ToScalar();
        return TensorSum.Add(uncond, (cond - uncond).mul(weight)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Guidance on one batched forward pass of [uncond; cond] (diffusers' order: the unconditional half first),
    /// returning the guided prediction for the N samples.
    /// </summary>
    public static Tensor CombineBatched(Tensor output, double scale)
    {
        if (output.dim() == 0 || output.shape[0] % 2 != 0)
            throw new ArgumentException(
                $"expected an even batch [uncond; cond], got shape [{string.Join(", ", output.shape)}]",
                nameof(output));
        using var scope = NewDisposeScope();
        var halves = output.chunk(2, 0);
        return Combine(halves[0], halves[1], scale).MoveToOuterDisposeScope();
    }
}
