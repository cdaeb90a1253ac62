using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Native;

/// <summary>
/// Code written the way the scanner must catch it (a bare number given to a tensor operator, which converts
/// inside TorchSharp, or to a method taking a Scalar, which converts here; in a method, a lambda and an iterator)
/// next to the rooted form it must accept. Never called: it exists to be compiled and scanned.
/// </summary>
internal static class ImplicitScalarSamples
{
    public static Tensor Halve(Tensor x) => x * 0.5;

    public static Tensor HalveRooted(Tensor x)
    {
        using var half = 0.5.ToScalar();
        return x.mul(half);
    }

    public static Func<Tensor, Tensor> HalveLater() => x => x.mul(0.5);

    public static IEnumerable<Tensor> HalveEach(IEnumerable<Tensor> xs)
    {
        foreach (var x in xs) yield return x * 0.5;
    }
}
