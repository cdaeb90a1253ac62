using DiffusionAlign.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Objectives;

/// <summary>
/// DSPO against hand computation. Notation: B pairs, D = C·H·W, a_ik = p_w,ik − ε_ik, d_ik = p_w,ik − r_w,ik,
/// u_i = −(β_m/2)((m_w,i − m_l,i) − (r_w,i − r_l,i)) (β_m = β unless set), g_i = 1 − σ(u_i) = σ(−u_i).
/// Score matching: L = (1/(B·D)) Σ_ik e_ik², e_ik = a_ik − β·g_i·d_ik. With S_i = Σ_k e_ik d_ik,
/// dg_i/du_i = −g_i(1 − g_i), du_i/dp_w,ik = −β_m a_ik/D, du_i/dp_l,ik = +β_m (p_l,ik − ε_ik)/D:
///   dL/dp_w,ik = (2/(B·D))·[e_ik(1 − β g_i) − β S_i·g_i(1 − g_i)·β_m a_ik/D]
///   dL/dp_l,ik = (2/(B·D))·β S_i·g_i(1 − g_i)·β_m (p_l,ik − ε_ik)/D
/// The loser's gradient exists only through g: with a stop-gradient on g it would be exactly 0.
/// </summary>
public sealed class DspoLossTests
{
    private const double Tolerance = 1e-5;

    // The pairs of DiffusionDpoLossTests: B = 2, D = 2, and (m_w − m_l) − (r_w − r_l) = −0.175 (pair 1), 0.04 (pair 2).
    private static readonly float[] Target = [0.5f, -0.5f, 1.0f, 0.0f, 0.5f, -0.5f, 1.0f, 0.0f];
    private static readonly float[] Model = [0.7f, -0.2f, 0.9f, 0.3f, 0.1f, -0.9f, 1.1f, 0.1f];
    private static readonly float[] Reference = [0.6f, -0.1f, 1.2f, 0.1f, 0.4f, -0.5f, 1.1f, 0.2f];
    private static readonly double[] ErrorDifference = [-0.175, 0.04];
    private static readonly long[] Shape = [4, 1, 1, 2];

    [Fact]
    public void WhenModelEqualsReferenceItIsWinnerSftWithHalfWeightShift()
    {
        // B = 1, D = 1, ε = 0, model = reference = 1 for both images: u = 0, g = ½, d = 0, S = 0.
        // Loss = (1 − 0)² = 1 (what SFT on the winner gives); dL/dp_w = 2·1·(1 − β·½) = 1.5 for β = ½; dL/dp_l = 0.
        using var model = Batch([1, 1], [2, 1, 1, 1], requiresGrad: true);
        using var reference = Batch([1, 1], [2, 1, 1, 1]);
        using var target = zeros(2, 1, 1, 1);

        using var output = new DspoLoss(beta: 0.5).Compute(model, reference, target);
        output.Loss.backward();

        Assert.Equal(1, output.Loss.ToDouble(), Tolerance);
        AssertClose([1.5, 0], model.grad!.data<float>().ToArray());
        Assert.Equal(0.5, output.Metrics[ObjectiveMetrics.MeanG].ToDouble(), Tolerance);
        Assert.Equal(0, output.Metrics[ObjectiveMetrics.WinnerScoreGap].ToDouble(), Tolerance);
    }

    [Fact]
    public void LossAndGradientMatchClosedFormIncludingTheGradientThroughG()
    {
        const double beta = 4, pairs = 2, d = 2;
        using var modelPred = Batch(Model, Shape, requiresGrad: true);
        using var referencePred = Batch(Reference, Shape);
        using var eps = Batch(Target, Shape);

        using var output = new DspoLoss(beta).Compute(modelPred, referencePred, eps);
        output.Loss.backward();
        var grad = modelPred.grad!.data<float>().ToArray();

        double loss = 0;
        var full = new double[8];
        var gDetached = new double[8];
        double gSum = 0;
        for (int i = 0; i < 2; i++)
        {
            double u = -(beta / 2) * ErrorDifference[i]; // 0.35, −0.08
            double g = 1 / (1 + Math.Exp(u));
            gSum += g;
            var e = new double[2];
            double s = 0;
            for (int k = 0; k < 2; k++)
            {
                int w = i * 2 + k;
                double a = Model[w] - Target[w], dk = Model[w] - Reference[w];
                e[k] = a - beta * g * dk;
                s += e[k] * dk;
                loss += e[k] * e[k] / (pairs * d);
            }
            for (int k = 0; k < 2; k++)
            {
                int w = i * 2 + k, l = 4 + i * 2 + k;
                double a = Model[w] - Target[w], aLoser = Model[l] - Target[l];
                full[w] = 2 / (pairs * d) * (e[k] * (1 - beta * g) - beta * s * g * (1 - g) * beta * a / d);
                full[l] = 2 / (pairs * d) * beta * s * g * (1 - g) * beta * aLoser / d;
                gDetached[w] = 2 / (pairs * d) * e[k] * (1 - beta * g);
            }
        }

        Assert.Equal(loss, output.Loss.ToDouble(), Tolerance);
        AssertClose(full, grad);
        // The case discriminates: ignoring dg would change the winner gradient and zero the loser's.
        Assert.True(Enumerable.Range(0, 4).Max(j => Math.Abs(full[j] - gDetached[j])) > 1e-3);
        Assert.True(Math.Abs(grad[4]) > 1e-3);
        Assert.Equal(gSum / 2, output.Metrics[ObjectiveMetrics.MeanG].ToDouble(), Tolerance);
        // Winner score gaps: pair 1 d = [0.1, −0.1] → 0.01; pair 2 d = [−0.3, 0.2] → 0.065.
        Assert.Equal((0.01 + 0.065) / 2, output.Metrics[ObjectiveMetrics.WinnerScoreGap].ToDouble(), Tolerance);
        Assert.Equal((-2 * -0.175 + -2 * 0.04) / 2,
            output.Metrics[ObjectiveMetrics.ImplicitRewardMargin].ToDouble(), Tolerance);
    }

    [Fact]
    public void MarginBetaScalesOnlyTheMargin()
    {
        // β_m = 10: u = −5·[−0.175, 0.04] = [0.875, −0.2] (Diffusion-DPO's margins at β = 10).
        using var modelPred = Batch(Model, Shape, requiresGrad: true);
        using var referencePred = Batch(Reference, Shape);
        using var eps = Batch(Target, Shape);

        var objective = new DspoLoss(beta: 0.5, marginBeta: 10);
        using var output = objective.Compute(modelPred, referencePred, eps);

        Assert.Equal(0.5, objective.Beta);
        Assert.Equal((0.875 - 0.2) / 2, output.Metrics[ObjectiveMetrics.ImplicitRewardMargin].ToDouble(), Tolerance);
        double meanG = (1 / (1 + Math.Exp(0.875)) + 1 / (1 + Math.Exp(-0.2))) / 2;
        Assert.Equal(meanG, output.Metrics[ObjectiveMetrics.MeanG].ToDouble(), Tolerance);
    }

    [Fact]
    public void SdxlVariantLargeGapBranchMatchesHand()
    {
        // B = 1, D = 1, β = 2, ε = 0; model w 1, l 0.5; reference 0, 0. m_w = 1, m_l = 0.25, r = 0:
        // u = −1·(1 − 0.25) = −0.75, g = σ(0.75). Gap (1 − 0)² = 1 ≥ 0.1 → loss = (g·1)² = g².
        // dL/dp_w = 2g²·d + 2g·d²·dg/dp_w, dg/dp_w = g(1 − g)·β·a/D = 2g(1 − g) → 2g² + 4g²(1 − g).
        // dL/dp_l = 2g·d²·dg/dp_l, dg/dp_l = −g(1 − g)·β·0.5 = −g(1 − g) → −2g²(1 − g).
        double g = 1 / (1 + Math.Exp(-0.75));
        using var model = Batch([1, 0.5f], [2, 1, 1, 1], requiresGrad: true);
        using var reference = zeros(2, 1, 1, 1);
        using var target = zeros(2, 1, 1, 1);

        using var output = new DspoLoss(beta: 2, DspoVariant.Sdxl).Compute(model, reference, target);
        output.Loss.backward();

        Assert.Equal(g * g, output.Loss.ToDouble(), Tolerance);
        AssertClose([2 * g * g + 4 * g * g * (1 - g), -2 * g * g * (1 - g)], model.grad!.data<float>().ToArray());
    }

    [Fact]
    public void SdxlVariantSmallGapBranchMatchesHandAndFollowsTheThreshold()
    {
        // As above with model w 0.2: m_w = 0.04, u = −1·(0.04 − 0.25) = 0.21, g = σ(−0.21).
        // Gap 0.2² = 0.04 < 0.1 → loss = g². dL/dp_w = 2g·g(1 − g)·2·0.2 = 0.8g²(1 − g);
        // dL/dp_l = 2g·(−g(1 − g)·2·0.5) = −2g²(1 − g).
        // With the threshold lowered to 0.03 the same batch takes the large branch: loss = g²·0.04.
        double g = 1 / (1 + Math.Exp(0.21));
        using var model = Batch([0.2f, 0.5f], [2, 1, 1, 1], requiresGrad: true);
        using var reference = zeros(2, 1, 1, 1);
        using var target = zeros(2, 1, 1, 1);

        using var small = new DspoLoss(beta: 2, DspoVariant.Sdxl).Compute(model, reference, target);
        small.Loss.backward();
        Assert.Equal(g * g, small.Loss.ToDouble(), Tolerance);
        AssertClose([0.8 * g * g * (1 - g), -2 * g * g * (1 - g)], model.grad!.data<float>().ToArray());

        using var large = new DspoLoss(beta: 2, DspoVariant.Sdxl, sdxlGapThreshold: 0.03)
            .Compute(model, reference, target);
        Assert.Equal(g * g * 0.04, large.Loss.ToDouble(), Tolerance);
    }

    [Theory]
    [InlineData(DspoVariant.ScoreMatching)]
    [InlineData(DspoVariant.Sdxl)]
    public void HugeBetaStaysFinite(DspoVariant variant)
    {
        // β = 5000, D = 1, ε = reference = 0. Pair 1: m_w = 1, m_l = 0 → u = −2500, g = 1;
        // pair 2: m_w = 0, m_l = 1 → u = +2500, g = 0. Score matching: e = 1 − 5000·1·1 = −4999 on pair 1, 0 on pair 2,
        // loss = 4999²/2. SDXL (gap (1² + 0²)/2 = 0.5 ≥ 0.1): loss = (1·1)²/2 = 0.5.
        using var model = Batch([1, 0, 0, 1], [4, 1, 1, 1], requiresGrad: true);
        using var reference = zeros(4, 1, 1, 1);
        using var target = zeros(4, 1, 1, 1);

        using var output = new DspoLoss(beta: 5000, variant).Compute(model, reference, target);
        output.Loss.backward();

        double expected = variant == DspoVariant.ScoreMatching ? 4999.0 * 4999.0 / 2 : 0.5;
        Assert.Equal(1, output.Loss.ToDouble() / expected, 1e-6);
        Assert.All(model.grad!.data<float>().ToArray(), v => Assert.True(float.IsFinite(v)));
        foreach (var (name, value) in output.Metrics)
            Assert.True(double.IsFinite(value.ToDouble()), $"{name} is not finite");
    }

    [Fact]
    public void DescribesItselfAndRejectsBadInput()
    {
        Assert.Equal("dspo", new DspoLoss(0.001).Name);
        Assert.Equal("dspo-sdxl", new DspoLoss(5000, DspoVariant.Sdxl).Name);
        Assert.Equal(0.001, new DspoLoss(0.001).MarginBeta);
        Assert.True(new DspoLoss(0.001).NeedsReference);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DspoLoss(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DspoLoss(1, marginBeta: 0));
        using var batch = zeros(2, 1, 1, 1);
        Assert.Throws<ArgumentNullException>(() => new DspoLoss(1).Compute(batch, null, batch));
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
