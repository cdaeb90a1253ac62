// The reward model's loss is −mean log σ(r_w − r_l), with accuracy counting ties as one half.
using DiffusionAlign.Rewards;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Rewards;

public sealed class BradleyTerryRewardLossTests
{
    [Fact]
    public void LossIsTheMeanNegativeLogSigmoidOfTheMargins()
    {
        using var chosen = tensor(new[] { 2.0f, 0.5f, -1.0f, 3.0f });
        using var rejected = tensor(new[] { 1.0f, 0.5f, 1.0f, -2.0f });
        var output = BradleyTerryRewardLoss.Compute(chosen, rejected);
        using var loss = output.Loss;
        double[] margins = [1, 0, -2, 5];
        double expected = margins.Average(m => -Math.Log(1 / (1 + Math.Exp(-m))));
        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal((1 + 0.5 + 0 + 1) / 4, output.Accuracy, 12);
        Assert.Equal(1.0, output.Margin, 6);
    }

    [Fact]
    public void GradientPushesTheChosenRewardUp()
    {
        using var chosen = tensor(new[] { 0.0f, 1.0f }).requires_grad_();
        using var rejected = tensor(new[] { 0.0f, 2.0f }).requires_grad_();
        var output = BradleyTerryRewardLoss.Compute(chosen, rejected);
        using var loss = output.Loss;
        loss.backward();
        // d/dr_w of −log σ(r_w − r_l) / N = −(1 − σ(margin)) / N.
        Assert.Equal(-0.5 / 2, chosen.grad!.data<float>()[0], 5);
        Assert.Equal(-(1 - 1 / (1 + Math.Exp(1))) / 2, chosen.grad!.data<float>()[1], 5);
        Assert.True(rejected.grad!.data<float>().ToArray().All(g => g > 0));
    }
}
