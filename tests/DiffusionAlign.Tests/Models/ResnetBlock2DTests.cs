using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class ResnetBlock2DTests
{
    private const double Eps = 1e-5;

    private static double Silu(double x) => x / (1 + Math.Exp(-x));

    [Fact]
    public void AddsTheTimeEmbeddingBeforeTheSecondNormalisation()
    {
        using var resnet = new ResnetBlock2D(inChannels: 2, outChannels: 2, tembChannels: 1, groups: 1, eps: Eps,
            actFn: "silu");
        ModuleWeights.Zero(resnet);
        ModuleWeights.Set(resnet,
            ("norm2.weight", [1, 1]),
            ("time_emb_proj.weight", [2, -1]),
            // conv2 is a 1x1 identity inside the 3x3 kernel, plus a bias.
            ("conv2.weight", [0, 0, 0, 0, 1, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0, 0, /**/
                              0, 0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 1, 0, 0, 0, 0]),
            ("conv2.bias", [0.25f, -0.25f]));
        torch.manual_seed(7);
        using var input = torch.randn(1, 2, 3, 3);
        using var temb = torch.tensor(new float[] { 1 }).reshape(1, 1);

        using var output = resnet.forward(input, temb);

        // conv1 is zero, so the hidden map is the projected time embedding: a = 2·silu(1), b = −silu(1),
        // constant per channel. One group normalises the two channels to ±d/√(d²+eps), d = (a − b)/2.
        var d = (2 * Silu(1) + Silu(1)) / 2;
        var n = d / Math.Sqrt(d * d + Eps);
        double[] added = [Silu(n) + 0.25, Silu(-n) - 0.25];
        var x = ModuleWeights.Values(input);
        var y = ModuleWeights.Values(output);
        for (var i = 0; i < x.Length; i++)
            Assert.Equal(x[i] + added[i / 9], y[i], 5);
    }

    [Fact]
    public void ShortcutConvolutionMatchesChannelsAndOutputIsScaled()
    {
        using var resnet = new ResnetBlock2D(inChannels: 1, outChannels: 2, tembChannels: 3, groups: 1, eps: Eps,
            actFn: "silu", outputScaleFactor: 2.0);
        ModuleWeights.Zero(resnet);
        ModuleWeights.Set(resnet, ("conv_shortcut.weight", [3, -1]), ("conv_shortcut.bias", [0, 1]));
        torch.manual_seed(8);
        using var input = torch.randn(1, 1, 2, 2);

        using var output = resnet.forward(input, torch.randn(1, 3));

        // Every residual-branch weight is zero, so the output is shortcut(x) / 2 = (3x, 1 − x) / 2.
        var x = ModuleWeights.Values(input);
        var y = ModuleWeights.Values(output);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(3 * x[i] / 2, y[i], 6);
            Assert.Equal((1 - x[i]) / 2, y[4 + i], 6);
        }
    }

    [Fact]
    public void FreshGroupNormsStartAsIdentity()
    {
        // TorchSharp leaves GroupNorm weights uninitialised; the model must set them to 1 and 0.
        using var resnet = new ResnetBlock2D(inChannels: 4, outChannels: 8, tembChannels: 16, groups: 2, eps: Eps,
            actFn: "silu");
        var state = resnet.state_dict();
        foreach (var name in new[] { "norm1", "norm2" })
        {
            Assert.All(ModuleWeights.Values(state[$"{name}.weight"]), w => Assert.Equal(1f, w));
            Assert.All(ModuleWeights.Values(state[$"{name}.bias"]), b => Assert.Equal(0f, b));
        }
    }
}
