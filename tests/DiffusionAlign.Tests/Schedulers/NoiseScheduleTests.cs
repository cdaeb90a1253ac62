using DiffusionAlign.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Schedulers;

public sealed class NoiseScheduleTests
{
    [Fact]
    public void ScaledLinearAlphasCumprodMatchPublishedStableDiffusionValues()
    {
        using var schedule = new NoiseSchedule();
        // Published SD 1.x values of diffusers' alphas_cumprod.
        AssertSignificant(0.99915, schedule.AlphasCumprod[0]);
        AssertSignificant(0.2777, schedule.AlphasCumprod[499]);
        AssertSignificant(0.004660, schedule.AlphasCumprod[999]);
    }

    [Fact]
    public void ScaledLinearMatchesLogSumOfSquaredLinspace()
    {
        using var schedule = new NoiseSchedule();
        // Independent route: log ᾱ_t = Σ log(1 − β_i), β_i = (√0.00085 + i·(√0.012 − √0.00085)/999)².
        double logSum = 0;
        for (int i = 0; i < 1000; i++)
        {
            double root = Math.Sqrt(0.00085) + i * (Math.Sqrt(0.012) - Math.Sqrt(0.00085)) / 999;
            logSum += Math.Log(1 - root * root);
            Assert.Equal(Math.Exp(logSum), schedule.AlphasCumprod[i], 1e-12);
        }
        Assert.Equal(0.012, schedule.Betas[999], 1e-15);
        Assert.Equal(1 - 0.00085, schedule.Alphas[0], 1e-15);
    }

    [Fact]
    public void LinearScheduleMatchesDdpmValues()
    {
        using var schedule = new NoiseSchedule(new NoiseScheduleConfig
        {
            BetaSchedule = BetaSchedule.Linear, BetaStart = 0.0001, BetaEnd = 0.02,
        });
        Assert.Equal(0.9999, schedule.AlphasCumprod[0], 1e-12);
        // DDPM's linear schedule leaves sqrt(ᾱ_T) ≈ 0.00635 of the signal: ᾱ_999 ≈ 4.036e-5.
        AssertSignificant(4.036e-5, schedule.AlphasCumprod[999]);
        AssertSignificant(0.07859, schedule.AlphasCumprod[499]);
    }

    [Fact]
    public void CosineScheduleTelescopesToTheContinuousAlphaBar()
    {
        using var schedule = new NoiseSchedule(new NoiseScheduleConfig { BetaSchedule = BetaSchedule.SquaredCosCapV2 });
        // Uncapped, Π(1 − β_i) telescopes to f((t+1)/T)/f(0) with f(s) = cos²((s + 0.008)/1.008 · π/2).
        static double F(double s) => Math.Pow(Math.Cos((s + 0.008) / 1.008 * Math.PI / 2), 2);
        foreach (int t in new[] { 0, 1, 250, 499, 750, 998 })
            Assert.Equal(F((t + 1) / 1000.0) / F(0), schedule.AlphasCumprod[t], 1e-10);
        AssertSignificant(0.4938, schedule.AlphasCumprod[499]); // ᾱ at mid-schedule ≈ cos²(π/4)
        Assert.Equal(0.999, schedule.Betas[999], 1e-15); // the cap
    }

    [Fact]
    public void TensorsHoldTheSameValuesAsFloat32()
    {
        using var schedule = new NoiseSchedule();
        Assert.Equal(ScalarType.Float32, schedule.AlphasCumprodTensor.dtype);
        Assert.Equal(new long[] { 1000 }, schedule.AlphasCumprodTensor.shape);
        var values = schedule.AlphasCumprodTensor.data<float>().ToArray();
        Assert.Equal(0.2777, values[499], 4);
        Assert.Equal((float)schedule.Betas[10], schedule.BetasTensor.data<float>()[10]);
        Assert.Equal((float)schedule.Alphas[10], schedule.AlphasTensor.data<float>()[10]);
    }

    [Fact]
    public void AddNoiseUsesEachSamplesOwnTimestep()
    {
        using var schedule = new NoiseSchedule();
        using var x0 = full(new long[] { 2, 1, 2, 2 }, 2.0f);
        using var noise = full(new long[] { 2, 1, 2, 2 }, -1.0f);
        using var t = tensor(new long[] { 0, 999 });
        using var xt = schedule.AddNoise(x0, noise, t);
        var v = xt.data<float>().ToArray();
        double first = 2 * Math.Sqrt(0.99915) - Math.Sqrt(1 - 0.99915);
        double last = 2 * Math.Sqrt(0.0046601) - Math.Sqrt(1 - 0.0046601);
        for (int i = 0; i < 4; i++) Assert.Equal(first, v[i], 4);
        for (int i = 4; i < 8; i++) Assert.Equal(last, v[i], 4);

        using var t32 = tensor(new int[] { 0, 999 });
        using var xt32 = schedule.AddNoise(x0, noise, t32);
        Assert.True(xt32.eq(xt).all().item<bool>());
        using var scalarT = tensor(999L);
        using var xtScalar = schedule.AddNoise(x0, noise, scalarT);
        Assert.Equal(last, xtScalar.data<float>()[0], 4);
    }

    [Fact]
    public void VelocityFollowsItsDefinition()
    {
        using var schedule = new NoiseSchedule();
        using var x0 = tensor(new float[] { 2f });
        using var noise = tensor(new float[] { 3f });
        using var t = tensor(new long[] { 0 });
        using var v = schedule.Velocity(x0, noise, t);
        Assert.Equal(3 * Math.Sqrt(0.99915) - 2 * Math.Sqrt(0.00085), v.data<float>()[0], 5);
    }

    [Theory]
    [InlineData(PredictionType.Epsilon)]
    [InlineData(PredictionType.VPrediction)]
    public void PredictOriginalAndEpsilonInvertTheTrainingTarget(PredictionType type)
    {
        using var schedule = new NoiseSchedule(new NoiseScheduleConfig { PredictionType = type });
        using var gen = new Generator(7);
        using var x0 = randn(new long[] { 4, 3, 5, 5 }, generator: gen);
        using var noise = randn(new long[] { 4, 3, 5, 5 }, generator: gen);
        using var t = tensor(new long[] { 0, 300, 700, 999 });
        using var xt = schedule.AddNoise(x0, noise, t);
        using var target = schedule.TrainingTarget(x0, noise, t);
        using var recoveredX0 = schedule.PredictOriginal(target, xt, t);
        using var recoveredNoise = schedule.PredictEpsilon(target, xt, t);
        // x0 recovery at t = 999 divides by sqrt(ᾱ) ≈ 0.068 for ε-prediction, amplifying float32 rounding.
        Assert.True(recoveredX0.allclose(x0, rtol: 0, atol: 2e-4));
        Assert.True(recoveredNoise.allclose(noise, rtol: 0, atol: 2e-4));
        if (type == PredictionType.Epsilon) Assert.True(target.eq(noise).all().item<bool>());
        else Assert.False(target.allclose(noise, rtol: 0, atol: 1e-2));
    }

    [Fact]
    public void SampleTimestepsIsUniformOverTheTrainingRangeAndSeeded()
    {
        using var schedule = new NoiseSchedule();
        using var gen1 = new Generator(3);
        using var gen2 = new Generator(3);
        using var a = schedule.SampleTimesteps(20000, gen1);
        using var b = schedule.SampleTimesteps(20000, gen2);
        Assert.Equal(ScalarType.Int64, a.dtype);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.True(a.min().item<long>() >= 0);
        Assert.Equal(999, a.max().item<long>()); // 20000 draws reach the top with near certainty
        Assert.Equal(0, a.min().item<long>());
        // ±4 standard errors (288.7/√20000)
        Assert.InRange(a.to_type(ScalarType.Float64).mean().item<double>(), 499.5 - 8, 499.5 + 8);
    }

    [Fact]
    public void BadTimestepsAreRejected()
    {
        using var schedule = new NoiseSchedule();
        using var x0 = zeros(2, 3);
        using var outOfRange = tensor(new long[] { 0, 1000 });
        using var wrongCount = tensor(new long[] { 0, 1, 2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.AddNoise(x0, x0, outOfRange));
        Assert.Throws<ArgumentException>(() => schedule.AddNoise(x0, x0, wrongCount));
    }

    private static void AssertSignificant(double expected, double actual, int digits = 4)
    {
        double scale = Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(expected))) - digits + 1);
        Assert.True(Math.Abs(expected - actual) <= 0.5 * scale,
            $"expected {expected} to {digits} significant digits, got {actual}");
    }
}
