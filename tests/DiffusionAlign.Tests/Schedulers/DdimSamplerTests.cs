using DiffusionAlign.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Schedulers;

public sealed class DdimSamplerTests
{
    [Fact]
    public void LeadingSpacingWithOffsetMatchesStableDiffusion()
    {
        var sampler = new DdimSampler(new NoiseSchedule());
        var timesteps = sampler.SetTimesteps(50);
        // diffusers' DDIMScheduler for SD 1.x, 50 steps: tensor([981, 961, ..., 21, 1]).
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 981 - 20 * i), timesteps);
        Assert.Equal(new[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 }, sampler.SetTimesteps(10));
    }

    [Fact]
    public void TrailingAndLinspaceSpacings()
    {
        var trailing = new DdimSampler(
            new NoiseSchedule(new NoiseScheduleConfig { TimestepSpacing = TimestepSpacing.Trailing }));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 999 - 20 * i), trailing.SetTimesteps(50));
        Assert.Equal(new[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 }, trailing.SetTimesteps(10));

        var linspace = new DdimSampler(
            new NoiseSchedule(new NoiseScheduleConfig { TimestepSpacing = TimestepSpacing.Linspace }));
        Assert.Equal(new[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 }, linspace.SetTimesteps(10));
        Assert.Equal(new[] { 999, 500, 0 }, linspace.SetTimesteps(3)); // 499.5 rounds half to even, as numpy does
    }

    [Fact]
    public void TooManyStepsIsAUserError()
    {
        var sampler = new DdimSampler(new NoiseSchedule());
        Assert.Throws<DiffusionAlignException>(() => sampler.SetTimesteps(0));
        Assert.Throws<DiffusionAlignException>(() => sampler.SetTimesteps(1001));
    }

    [Fact]
    public void SingleStepMatchesDdimEquation12ByHand()
    {
        using var schedule = new NoiseSchedule();
        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(50);
        using var xt = tensor(new float[] { 0.5f, -1.5f });
        using var eps = tensor(new float[] { 0.2f, 0.7f });
        using var prev = sampler.Step(eps, 981, xt);
        // Recompute ᾱ from the SD formula rather than reading the schedule under test.
        double aT = AlphaBar(981), aPrev = AlphaBar(961);
        for (int i = 0; i < 2; i++)
        {
            double x = new[] { 0.5, -1.5 }[i], e = new[] { 0.2, 0.7 }[i];
            double x0 = (x - Math.Sqrt(1 - aT) * e) / Math.Sqrt(aT);
            double expected = Math.Sqrt(aPrev) * x0 + Math.Sqrt(1 - aPrev) * e;
            Assert.Equal(expected, prev.data<float>()[i], 4);
        }
    }

    [Fact]
    public void LastStepLandsOnAlphaZeroOrOne()
    {
        using var schedule = new NoiseSchedule();
        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(50);
        using var xt = tensor(new float[] { 0.3f });
        using var eps = tensor(new float[] { 0.1f });
        using var prev = sampler.Step(eps, 1, xt);
        double a1 = AlphaBar(1), a0 = 1 - 0.00085;
        double x0 = (0.3 - Math.Sqrt(1 - a1) * 0.1) / Math.Sqrt(a1);
        Assert.Equal(Math.Sqrt(a0) * x0 + Math.Sqrt(1 - a0) * 0.1, prev.data<float>()[0], 5);

        using var one = new NoiseSchedule(new NoiseScheduleConfig { SetAlphaToOne = true });
        var toOne = new DdimSampler(one);
        toOne.SetTimesteps(50);
        using var clean = toOne.Step(eps, 1, xt);
        Assert.Equal(x0, clean.data<float>()[0], 5);
    }

    [Fact]
    public void EtaZeroIsBitReproducible()
    {
        using var schedule = new NoiseSchedule();
        var sampler = new DdimSampler(schedule);
        using var gen = new Generator(11);
        using var noise = randn(new long[] { 2, 4, 8, 8 }, generator: gen);
        Tensor Model(Tensor x, int t) => tanh(x) * 0.5 + t / 1000.0;
        using var a = DenoisingLoop.Run(Model, noise, sampler, 20);
        using var b = DenoisingLoop.Run(Model, noise, sampler, 20);
        Assert.True(a.eq(b).all().item<bool>());
    }

    [Fact]
    public void OracleEpsilonRecoversTheCleanSample()
    {
        using var gen = new Generator(5);
        using var x0 = randn(new long[] { 2, 3, 6, 6 }, generator: gen).clamp(-1, 1);
        using var noise = randn(new long[] { 2, 3, 6, 6 }, generator: gen);

        // With set_alpha_to_one the last step lands on ᾱ = 1: the output is x0 itself.
        using (var toOne = new NoiseSchedule(new NoiseScheduleConfig { SetAlphaToOne = true }))
        {
            using var result = DenoisingLoop.Run(OracleFor(x0), noise, new DdimSampler(toOne), 50);
            Assert.True(result.allclose(x0, rtol: 0, atol: 1e-4),
                $"max error {(result - x0).abs().max().item<float>()}");
        }

        // SD's default stops at ᾱ_0: the oracle's ε stays the one implied by the start, so the output is
        // sqrt(ᾱ_0)·x0 + sqrt(1−ᾱ_0)·e with e = (x_T − sqrt(ᾱ_981)·x0)/sqrt(1−ᾱ_981).
        using var schedule = new NoiseSchedule();
        using var sd = DenoisingLoop.Run(OracleFor(x0), noise, new DdimSampler(schedule), 50);
        double aStart = AlphaBar(981), a0 = AlphaBar(0);
        using var e = (noise - Math.Sqrt(aStart) * x0) / Math.Sqrt(1 - aStart);
        using var expected = Math.Sqrt(a0) * x0 + Math.Sqrt(1 - a0) * e;
        Assert.True(sd.allclose(expected, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void VPredictionOracleRecoversTheCleanSample()
    {
        using var schedule = new NoiseSchedule(
            new NoiseScheduleConfig { PredictionType = PredictionType.VPrediction, SetAlphaToOne = true });
        using var gen = new Generator(6);
        using var x0 = randn(new long[] { 1, 2, 4, 4 }, generator: gen).clamp(-1, 1);
        using var noise = randn(new long[] { 1, 2, 4, 4 }, generator: gen);
        Tensor Oracle(Tensor x, int t)
        {
            // v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0 with ε the noise that x_t implies for this x0.
            double a = AlphaBar(t);
            var eps = (x - Math.Sqrt(a) * x0) / Math.Sqrt(1 - a);
            return Math.Sqrt(a) * eps - Math.Sqrt(1 - a) * x0;
        }
        using var result = DenoisingLoop.Run(Oracle, noise, new DdimSampler(schedule), 25);
        Assert.True(result.allclose(x0, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void EtaAddsSeededNoiseWithTheDdimVariance()
    {
        using var schedule = new NoiseSchedule();
        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(50);
        using var x0 = zeros(200_000);
        using var eps = zeros(200_000);
        double aT = AlphaBar(481);
        using var xt = Math.Sqrt(aT) * x0 + Math.Sqrt(1 - aT) * eps;

        using var deterministic = sampler.Step(eps, 481, xt);
        using var gen1 = new Generator(42);
        using var gen2 = new Generator(42);
        using var a = sampler.Step(eps, 481, xt, eta: 1, generator: gen1);
        using var b = sampler.Step(eps, 481, xt, eta: 1, generator: gen2);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.allclose(deterministic));

        // With x0 = ε = 0 the step is pure noise of standard deviation σ_t (DDIM eq. 16, η = 1).
        double aPrev = AlphaBar(461);
        double sigma = Math.Sqrt((1 - aPrev) / (1 - aT) * (1 - aT / aPrev));
        Assert.Equal(sigma, a.std().item<float>(), sigma * 0.01);
        Assert.Equal(0, a.mean().item<float>(), sigma * 0.01);
    }

    [Fact]
    public void ClipSampleBoundsThePredictedOriginal()
    {
        using var schedule = new NoiseSchedule(new NoiseScheduleConfig { ClipSample = true, SetAlphaToOne = true });
        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(50);
        using var xt = tensor(new float[] { 3f, -3f });
        using var eps = zeros(2);
        using var result = sampler.Step(eps, 1, xt); // x̂0 = x/sqrt(ᾱ_1) ≈ ±3, clipped to ±1, landing on ᾱ = 1
        Assert.Equal(new[] { 1f, -1f }, result.data<float>().ToArray());
    }

    [Fact]
    public void ClassifierFreeGuidanceExtrapolatesFromUnconditional()
    {
        using var uncond = tensor(new float[] { 1f, 2f });
        using var cond = tensor(new float[] { 3f, 5f });
        using var guided = ClassifierFreeGuidance.Combine(uncond, cond, 7.5);
        Assert.Equal(new[] { 16f, 24.5f }, guided.data<float>().ToArray());
        using var batched = cat(new[] { uncond.unsqueeze(0), cond.unsqueeze(0) }, 0);
        using var guidedBatch = ClassifierFreeGuidance.CombineBatched(batched, 7.5);
        Assert.Equal(new[] { 16f, 24.5f }, guidedBatch.data<float>().ToArray());
        using var plain = ClassifierFreeGuidance.Combine(uncond, cond, 1);
        Assert.Equal(new[] { 3f, 5f }, plain.data<float>().ToArray());
    }

    [Fact]
    public void LoopReportsProgressAndLeavesTheNoiseAlone()
    {
        using var schedule = new NoiseSchedule();
        using var noise = ones(1, 1, 2, 2);
        var reported = new List<int>();
        using var result = DenoisingLoop.Run((x, t) => zeros_like(x), noise, new DdimSampler(schedule), 5,
            progress: new SynchronousProgress(reported));
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, reported);
        Assert.Equal(1f, noise.data<float>()[0]);
        Assert.False(result.requires_grad);
        Assert.False(ReferenceEquals(result, noise));
    }

    /// <summary>The exact ε for a point mass at x0: (x_t − sqrt(ᾱ_t)·x0)/sqrt(1 − ᾱ_t).</summary>
    private static Func<Tensor, int, Tensor> OracleFor(Tensor x0) =>
        (x, t) => (x - Math.Sqrt(AlphaBar(t)) * x0) / Math.Sqrt(1 - AlphaBar(t));

    /// <summary>SD's scaled_linear ᾱ_t, computed here independently of <see cref="NoiseSchedule"/>.</summary>
    internal static double AlphaBar(int t)
    {
        double product = 1;
        for (int i = 0; i <= t; i++)
        {
            double root = Math.Sqrt(0.00085) + i * (Math.Sqrt(0.012) - Math.Sqrt(0.00085)) / 999;
            product *= 1 - root * root;
        }
        return product;
    }

    internal sealed class SynchronousProgress(List<int> sink) : IProgress<int>
    {
        public void Report(int value) => sink.Add(value);
    }
}
