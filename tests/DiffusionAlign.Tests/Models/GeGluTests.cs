using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class GeGluTests
{
    // Φ(1) and Φ(−1) of the standard normal distribution; exact GELU is gelu(z) = z·Φ(z).
    private const double NormalCdfAt1 = 0.8413447460685429;
    private const double NormalCdfAtMinus1 = 0.15865525393145707;

    [Fact]
    public void MultipliesTheFirstHalfByTheExactGeluOfTheSecond()
    {
        using var geglu = new GeGlu(inDim: 1, outDim: 1);
        // proj maps x to (value, gate) = (2x, 3x).
        ModuleWeights.Set(geglu, ("proj.weight", [2, 3]), ("proj.bias", [0, 0]));
        using var input = torch.tensor(new float[] { 1f / 3, -1f / 3 }).reshape(2, 1);

        using var output = geglu.forward(input);

        // x = 1/3: gate 1 → (2/3)·gelu(1); x = −1/3: gate −1 → (−2/3)·gelu(−1).
        float[] expected = [(float)(2.0 / 3 * NormalCdfAt1), (float)(-2.0 / 3 * -NormalCdfAtMinus1)];
        Assert.Equal(expected, ModuleWeights.Values(output), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void FeedForwardHasTheDiffusersLayout()
    {
        using var ff = new FeedForward(dim: 8);
        var shapes = ff.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(["net.0.proj.bias", "net.0.proj.weight", "net.2.bias", "net.2.weight"],
            shapes.Keys.Order().ToArray());
        Assert.Equal(new long[] { 64, 8 }, shapes["net.0.proj.weight"]);
        Assert.Equal(new long[] { 8, 32 }, shapes["net.2.weight"]);
    }
}
