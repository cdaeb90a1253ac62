using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class TimestepsTests
{
    private static double[] ClosedForm(double t, int dim, bool flip, double shift)
    {
        var half = dim / 2;
        var angles = Enumerable.Range(0, half)
            .Select(i => t * Math.Exp(-Math.Log(10000) * i / (half - shift))).ToArray();
        var sin = angles.Select(Math.Sin);
        var cos = angles.Select(Math.Cos);
        var embedding = (flip ? cos.Concat(sin) : sin.Concat(cos)).ToList();
        if (dim % 2 == 1) embedding.Add(0);
        return [.. embedding];
    }

    [Theory]
    [InlineData(8, true, 0.0)]
    [InlineData(8, false, 1.0)]
    [InlineData(7, true, 0.0)]
    [InlineData(320, true, 0.0)]
    public void MatchesTheSinusoidalFormula(int dim, bool flip, double shift)
    {
        using var timesteps = new Timesteps(dim, flip, shift);
        double[] ts = [0, 1, 37, 999];
        using var input = torch.tensor(ts.Select(t => (long)t).ToArray());

        using var output = timesteps.forward(input);

        Assert.Equal(new long[] { ts.Length, dim }, output.shape);
        var values = ModuleWeights.Values(output);
        for (var row = 0; row < ts.Length; row++)
        {
            var expected = ClosedForm(ts[row], dim, flip, shift);
            for (var i = 0; i < dim; i++)
                // float32 angles up to 999 rad carry ~1e-4 absolute error, as in diffusers.
                Assert.True(Math.Abs(values[row * dim + i] - expected[i]) < 5e-4,
                    $"t={ts[row]} i={i}: {values[row * dim + i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void FlipPutsTheCosineHalfFirst()
    {
        using var timesteps = new Timesteps(4, flipSinToCos: true, downscaleFreqShift: 0);
        using var output = timesteps.forward(torch.tensor(new long[] { 0 }));
        Assert.Equal(new float[] { 1, 1, 0, 0 }, ModuleWeights.Values(output));
    }

    [Fact]
    public void FractionalTimestepsAreEmbeddedWithoutRounding()
    {
        using var timesteps = new Timesteps(2, flipSinToCos: false, downscaleFreqShift: 0);
        using var output = timesteps.forward(torch.tensor(new float[] { 0.5f }));
        Assert.Equal(new[] { (float)Math.Sin(0.5), (float)Math.Cos(0.5) }, ModuleWeights.Values(output),
            new FloatTolerance(1e-6f));
    }
}
