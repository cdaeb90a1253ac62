using DiffusionAlign.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Objectives;

/// <summary>
/// Diffusion-DPO against hand computation. With D = C·H·W elements per image and B pairs:
/// L = (1/B) Σ_i −log σ(u_i), u_i = −(β/2)((m_w,i − m_l,i) − (r_w,i − r_l,i)), m = (1/D) Σ_k (p_k − ε_k)².
/// dL/du_i = −(1 − σ(u_i))/B; du_i/dm_w,i = −β/2; du_i/dm_l,i = +β/2; dm/dp_k = 2(p_k − ε_k)/D, so
///   dL/dp_w,ik = +(1 − σ(u_i))·β·(p_w,ik − ε_ik)/(B·D),
///   dL/dp_l,ik = −(1 − σ(u_i))·β·(p_l,ik − ε_ik)/(B·D).
/// </summary>
public sealed class DiffusionDpoLossTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void ZeroMarginGivesLogTwoAndHalfBetaGradient()
    {
        // B = 1, D = 1, ε = 0, every prediction 1: m_w = m_l = r_w = r_l = 1, u = 0.
        // Loss = −log ½ = ln 2; dL/dp_w = (1 − ½)·β·1 = 1 and dL/dp_l = −1 for β = 2.
        using var model = Batch([1, 1], [2, 1, 1, 1], requiresGrad: true);
        using var reference = Batch([1, 1], [2, 1, 1, 1]);
        using var target = Batch([0, 0], [2, 1, 1, 1]);

        using var output = new DiffusionDpoLoss(beta: 2).Compute(model, reference, target);
        output.Loss.backward();

        Assert.Equal(Math.Log(2), output.Loss.ToDouble(), Tolerance);
        AssertClose([1, -1], model.grad!.data<float>().ToArray());
    }

    [Fact]
    public void LossGradientAndMetricsMatchHandComputation()
    {
        // B = 2 pairs, C = 1, H = 1, W = 2 (D = 2), β = 10, the same ε for both images of a pair.
        // Pair 1: ε = [0.5, −0.5]; model w [0.7, −0.2], l [0.1, −0.9]; reference w [0.6, −0.1], l [0.4, −0.5].
        //   m_w = (0.2² + 0.3²)/2 = 0.065, m_l = (0.4² + 0.4²)/2 = 0.16,
        //   r_w = (0.1² + 0.4²)/2 = 0.085, r_l = (0.1² + 0²)/2 = 0.005,
        //   u = −5·((0.065 − 0.16) − (0.085 − 0.005)) = −5·(−0.175) = 0.875.
        // Pair 2: ε = [1, 0]; model w [0.9, 0.3], l [1.1, 0.1]; reference w [1.2, 0.1], l [1.1, 0.2].
        //   m_w = (0.1² + 0.3²)/2 = 0.05, m_l = (0.1² + 0.1²)/2 = 0.01,
        //   r_w = (0.2² + 0.1²)/2 = 0.025, r_l = (0.1² + 0.2²)/2 = 0.025,
        //   u = −5·((0.05 − 0.01) − 0) = −0.2.
        float[] target = [0.5f, -0.5f, 1.0f, 0.0f, 0.5f, -0.5f, 1.0f, 0.0f];
        float[] model = [0.7f, -0.2f, 0.9f, 0.3f, 0.1f, -0.9f, 1.1f, 0.1f];
        float[] reference = [0.6f, -0.1f, 1.2f, 0.1f, 0.4f, -0.5f, 1.1f, 0.2f];
        long[] shape = [4, 1, 1, 2];
        double[] u = [0.875, -0.2];
        const double beta = 10, pairs = 2, d = 2;

        using var modelPred = Batch(model, shape, requiresGrad: true);
        using var referencePred = Batch(reference, shape);
        using var eps = Batch(target, shape);
        using var output = new DiffusionDpoLoss(beta).Compute(modelPred, referencePred, eps);
        output.Loss.backward();

        // −log σ(u) = log(1 + e^{−u}).
        double expectedLoss = (Math.Log(1 + Math.Exp(-u[0])) + Math.Log(1 + Math.Exp(-u[1]))) / pairs;
        Assert.Equal(expectedLoss, output.Loss.ToDouble(), Tolerance);

        var expectedGrad = new double[8];
        for (int i = 0; i < 2; i++)
        {
            double oneMinusSigma = 1 / (1 + Math.Exp(u[i]));
            for (int k = 0; k < 2; k++)
            {
                int w = i * 2 + k, l = 4 + i * 2 + k;
                expectedGrad[w] = oneMinusSigma * beta * (model[w] - target[w]) / (pairs * d);
                expectedGrad[l] = -oneMinusSigma * beta * (model[l] - target[l]) / (pairs * d);
            }
        }
        AssertClose(expectedGrad, modelPred.grad!.data<float>().ToArray());

        var metrics = output.Metrics;
        Assert.Equal(0.5, metrics[ObjectiveMetrics.ImplicitAccuracy].ToDouble(), Tolerance);
        Assert.Equal((0.875 - 0.2) / 2, metrics[ObjectiveMetrics.ImplicitRewardMargin].ToDouble(), Tolerance);
        Assert.Equal(((0.065 - 0.085) + (0.05 - 0.025)) / 2,
            metrics[ObjectiveMetrics.WinnerErrorVsReference].ToDouble(), Tolerance);
        Assert.Equal(((0.16 - 0.005) + (0.01 - 0.025)) / 2,
            metrics[ObjectiveMetrics.LoserErrorVsReference].ToDouble(), Tolerance);
        Assert.Equal((0.065 + 0.16 + 0.05 + 0.01) / 4, metrics[ObjectiveMetrics.ModelMse].ToDouble(), Tolerance);
        Assert.Equal((0.085 + 0.005 + 0.025 + 0.025) / 4, metrics[ObjectiveMetrics.ReferenceMse].ToDouble(), Tolerance);
    }

    [Fact]
    public void MetricsAreDetachedScalars()
    {
        using var model = Batch([0.3f, 0.1f], [2, 1], requiresGrad: true);
        using var reference = Batch([0.2f, 0.2f], [2, 1]);
        using var target = Batch([0f, 0f], [2, 1]);
        using var output = new DiffusionDpoLoss(2000).Compute(model, reference, target);

        Assert.Equal(0, output.Loss.dim());
        Assert.True(output.Loss.requires_grad);
        foreach (var (name, value) in output.Metrics)
        {
            Assert.True(value.dim() == 0, $"{name} is not a scalar");
            Assert.False(value.requires_grad, $"{name} carries gradient");
        }
    }

    [Fact]
    public void ImplicitAccuracyCountsATieAsHalf()
    {
        // D = 1, ε = 0. u = −(β/2)((m_w − m_l) − (r_w − r_l)) with the reference at 0.5/0.5 (r_w − r_l = 0):
        // pair A: model w 0, l 1 → m_w − m_l = −1 → u > 0 (right);
        // pair B: model w 1, l 0 → u < 0 (wrong);
        // pair C: model = reference (0.3, 0.7) → the two differences are equal floats, u = 0 exactly (tie, ½);
        // pair D: as A. Accuracy = (1 + 0 + ½ + 1)/4 = 0.625.
        using var model = Batch([0, 1, 0.3f, 0, 1, 0, 0.7f, 1], [8, 1, 1, 1], requiresGrad: true);
        using var reference = Batch([0.5f, 0.5f, 0.3f, 0.5f, 0.5f, 0.5f, 0.7f, 0.5f], [8, 1, 1, 1]);
        using var target = zeros(8, 1, 1, 1);

        using var output = new DiffusionDpoLoss(beta: 2).Compute(model, reference, target);

        Assert.Equal(0.625, output.Metrics[ObjectiveMetrics.ImplicitAccuracy].ToDouble(), Tolerance);
    }

    [Fact]
    public void HugeBetaStaysFinite()
    {
        // β = 5000, D = 1, ε = 0, reference exact (r = 0). Pair 1: m_w = 1, m_l = 0 → u = −2500, −log σ(u) ≈ 2500.
        // Pair 2: m_w = 0, m_l = 1 → u = +2500, −log σ(u) ≈ e^{−2500} ≈ 0. Loss = 1250.
        // Gradient: pair 1 winner (1 − σ(−2500))·5000·1/(2·1) = 2500; every other entry has (p − ε) = 0
        // or 1 − σ(2500) = 0.
        using var model = Batch([1, 0, 0, 1], [4, 1, 1, 1], requiresGrad: true);
        using var reference = zeros(4, 1, 1, 1);
        using var target = zeros(4, 1, 1, 1);

        using var output = new DiffusionDpoLoss(beta: 5000).Compute(model, reference, target);
        output.Loss.backward();

        Assert.Equal(1250, output.Loss.ToDouble(), 1e-3);
        AssertClose([2500, 0, 0, 0], model.grad!.data<float>().ToArray());
        foreach (var (name, value) in output.Metrics)
            Assert.True(double.IsFinite(value.ToDouble()), $"{name} is not finite");
    }

    [Fact]
    public void RejectsMissingReferenceAndMalformedBatches()
    {
        var loss = new DiffusionDpoLoss(1000);
        using var even = zeros(2, 1, 2, 2);
        using var odd = zeros(3, 1, 2, 2);
        using var otherShape = zeros(2, 1, 2, 3);

        Assert.Throws<ArgumentNullException>(() => loss.Compute(even, null, even));
        Assert.Throws<ArgumentException>(() => loss.Compute(odd, odd, odd));
        Assert.Throws<ArgumentException>(() => loss.Compute(even, otherShape, even));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiffusionDpoLoss(0));
        Assert.True(loss.NeedsReference);
        Assert.Equal(ObjectiveInput.PairBatch, loss.Input);
    }

    private static Tensor Batch(float[] values, long[] shape, bool requiresGrad = false) =>
        tensor(values).reshape(shape).detach().requires_grad_(requiresGrad);

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"entry {i}: expected {expected[i]}, got {actual[i]}");
    }
}
