using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// <c>a + b</c> with a Scalar alpha that is never collected, for residual sums and every other tensor sum.
/// TorchSharp's <c>a + b</c> hands LibTorch a fresh Scalar(1) that nothing references during the
/// native call; if a garbage collection runs on another thread meanwhile, the Scalar's finalizer
/// can free it while LibTorch reads it. The add then fails ("Expected false to be true" from
/// c10::Scalar::toFloat), and a probe with one allocating thread reproduces it within a second.
/// A static Scalar is rooted for the life of the process.
/// </summary>
public static class TensorSum
{
    // An Int32 1, the alpha TorchSharp's own a + b passes.
    private static readonly Scalar One = 1.ToScalar();

    public static Tensor Add(Tensor a, Tensor b) => a.add(b, One);

    /// <summary>In-place <c>a += b</c>, for accumulators.</summary>
    public static Tensor AddInPlace(Tensor a, Tensor b) => a.add_(b, One);
}
