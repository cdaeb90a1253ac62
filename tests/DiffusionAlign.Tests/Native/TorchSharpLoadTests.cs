using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Native;

/// <summary>
/// The build step that weakens libLibTorchSharp's GLIBCXX_3.4.32 need must leave a library that loads and computes.
/// </summary>
public sealed class TorchSharpLoadTests
{
    [Fact]
    public void NativeLibraryLoadsAndMultipliesMatrices()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);
        using var c = matmul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void AutogradComputesGradients()
    {
        using var x = tensor(new float[] { 1, -2, 3 }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(new float[] { 2, -4, 6 }, x.grad!.data<float>().ToArray());
    }
}
