using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// <c>x²</c> with an exponent Scalar that is never collected. TorchSharp's <c>square()</c> is <c>pow(2)</c>
/// with a fresh Scalar that nothing references during the native call (<see cref="TensorSum"/> says why that
/// can crash); this is the same <c>pow</c>, so values and gradients are those of <c>square()</c>.
/// </summary>
public static class TensorPower
{
    // An Int32 2, the exponent TorchSharp's own square() passes.
    private static readonly Scalar Two = 2.ToScalar();

    public static Tensor Square(Tensor x) => x.pow(Two);
}
