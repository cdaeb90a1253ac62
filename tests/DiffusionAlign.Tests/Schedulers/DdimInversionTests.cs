using DiffusionAlign.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Schedulers;

public sealed class DdimInversionTests
{
    // Data x0 ~ N(μ, s²) per element: the exact ε-predictor is linear in x_t,
    // ε̂(x, t) = sqrt(1−ᾱ)·(x − sqrt(ᾱ)·μ)/(ᾱ·s² + 1 − ᾱ),
    // and the probability-flow ODE is the linear map
    // x_t = sqrt(ᾱ_t)·μ + sqrt(ᾱ_t·s² + 1 − ᾱ_t)·(x_a − sqrt(ᾱ_a)·μ)/sqrt(ᾱ_a·s² + 1 − ᾱ_a)
    // between levels.
    private const double Mu = 0.3;
    private const double S = 0.5;

    [Fact]
    public void InversionThenSamplingRoundTrips()
    {
        using var schedule = new NoiseSchedule();
        using var gen = new Generator(9);
        using var x = Mu + S * randn(new long[] { 2, 3, 8, 8 }, generator: gen);

        var inversion = new DdimInversion(schedule);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 1 + 20 * i), inversion.SetTimesteps(50));
        using var latent = inversion.Run(GaussianOracle, x, 50);
        using var back = DenoisingLoop.Run(GaussianOracle, latent, new DdimSampler(schedule), 50);
        Assert.True((latent - x).abs().max().item<float>() > 0.5); // inversion really moved the sample

        // DDIM inversion evaluates ε one level off (diffusers' convention), so the round trip is exact only
        // in the limit: first-order error, about 3/steps here.
        double error50 = (back - x).abs().max().item<float>();
        Assert.True(error50 < 0.1, $"round-trip error {error50} with 50 steps");
        using var latent200 = inversion.Run(GaussianOracle, x, 200);
        using var back200 = DenoisingLoop.Run(GaussianOracle, latent200, new DdimSampler(schedule), 200);
        double error200 = (back200 - x).abs().max().item<float>();
        Assert.True(error200 < error50 / 3, $"round-trip error {error200} with 200 steps vs {error50} with 50");

        // The latent is where the exact ODE takes x from ᾱ_0 to ᾱ_981, up to the same discretisation error.
        double a0 = DdimSamplerTests.AlphaBar(0), aT = DdimSamplerTests.AlphaBar(981);
        using var exact = Math.Sqrt(aT) * Mu
            + Math.Sqrt(aT * S * S + 1 - aT) * (x - Math.Sqrt(a0) * Mu) / Math.Sqrt(a0 * S * S + 1 - a0);
        double odeError = (latent - exact).abs().max().item<float>();
        Assert.True(odeError < 0.06, $"ODE error {odeError}");
    }

    [Fact]
    public void SingleInversionStepUndoesASamplingStepForAPointMassOracle()
    {
        using var schedule = new NoiseSchedule();
        using var gen = new Generator(10);
        using var x0 = randn(new long[] { 16 }, generator: gen);
        using var xt = randn(new long[] { 16 }, generator: gen);
        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(50);
        var inversion = new DdimInversion(schedule);
        inversion.SetTimesteps(50);

        double aT = DdimSamplerTests.AlphaBar(501), aPrev = DdimSamplerTests.AlphaBar(481);
        using var epsT = (xt - Math.Sqrt(aT) * x0) / Math.Sqrt(1 - aT);
        using var prev = sampler.Step(epsT, 501, xt);
        // A point-mass oracle implies the same ε at every level, so the inverse step is exact.
        using var epsPrev = (prev - Math.Sqrt(aPrev) * x0) / Math.Sqrt(1 - aPrev);
        using var again = inversion.Step(epsPrev, 501, prev);
        Assert.True(again.allclose(xt, rtol: 0, atol: 1e-4));
    }

    private static Tensor GaussianOracle(Tensor x, int t)
    {
        double a = DdimSamplerTests.AlphaBar(t);
        return Math.Sqrt(1 - a) * (x - Math.Sqrt(a) * Mu) / (a * S * S + 1 - a);
    }
}
