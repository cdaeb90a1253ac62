using DiffusionAlign.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Objectives;

/// <summary>
/// SFT: L = (1/(B·D)) Σ_ik (p_w,ik − ε_ik)², so dL/dp_w,ik = 2(p_w,ik − ε_ik)/(B·D) and losers get no gradient.
/// </summary>
public sealed class SftLossTests
{
    private const double Tolerance = 1e-5;

    [Fact]
    public void PairBatchUsesOnlyTheWinners()
    {
        // B = 2, D = 2, ε = [1, 0 | 0, 2] for pairs 1 | 2.
        // Winners [2, 0 | 0, 1] → errors² 1, 0, 0, 1 → loss = 2/4 = 0.5.
        // Gradient 2(p − ε)/4: [0.5, 0, 0, −0.5] on winners, 0 on the losers (whatever their values).
        using var model = Batch([2, 0, 0, 1, 9, 9, -9, 9], [4, 2], requiresGrad: true);
        using var target = Batch([1, 0, 0, 2, 1, 0, 0, 2], [4, 2]);

        var sft = new SftLoss();
        using var output = sft.Compute(model, null, target);
        output.Loss.backward();

        Assert.Equal(0.5, output.Loss.ToDouble(), Tolerance);
        Assert.Equal([0.5f, 0, 0, -0.5f, 0, 0, 0, 0], model.grad!.data<float>().ToArray());
        Assert.Equal(0.5, output.Metrics[ObjectiveMetrics.ModelMse].ToDouble(), Tolerance);
        Assert.False(output.Metrics[ObjectiveMetrics.ModelMse].requires_grad);
        Assert.False(sft.NeedsReference);
        Assert.Equal(ObjectiveInput.PairBatch, sft.Input);
    }

    [Fact]
    public void WinnersOnlyBatchUsesEveryRow()
    {
        // The same winners fed alone: B = 2, the same loss 0.5 and gradient [0.5, 0, 0, −0.5].
        using var model = Batch([2, 0, 0, 1], [2, 1, 2], requiresGrad: true);
        using var target = Batch([1, 0, 0, 2], [2, 1, 2]);

        var sft = new SftLoss(ObjectiveInput.WinnersOnly);
        using var output = sft.Compute(model, null, target);
        output.Loss.backward();

        Assert.Equal(0.5, output.Loss.ToDouble(), Tolerance);
        Assert.Equal([0.5f, 0, 0, -0.5f], model.grad!.data<float>().ToArray());
        Assert.Equal(ObjectiveInput.WinnersOnly, sft.Input);
    }

    [Fact]
    public void OddPairBatchIsRejected()
    {
        using var odd = zeros(3, 2);
        Assert.Throws<ArgumentException>(() => new SftLoss().Compute(odd, null, odd));
        using var output = new SftLoss(ObjectiveInput.WinnersOnly).Compute(odd, null, odd);
        Assert.Equal(0, output.Loss.ToDouble());
    }

    private static Tensor Batch(float[] values, long[] shape, bool requiresGrad = false) =>
        tensor(values).reshape(shape).detach().requires_grad_(requiresGrad);
}
