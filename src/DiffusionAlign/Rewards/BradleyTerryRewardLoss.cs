// The reward model's objective: the Bradley–Terry negative log-likelihood of the observed preferences.
using static TorchSharp.torch;

namespace DiffusionAlign.Rewards;

/// <summary>
/// The loss of a Bradley–Terry reward model (as in InstructGPT's and TRL's RewardTrainer):
/// <c>L = −mean log σ(r_w − r_l)</c> over pairs, with r_w the chosen image's reward and r_l the rejected one's.
/// A pure function of the two reward tensors; the trainer only feeds it.
/// </summary>
public static class BradleyTerryRewardLoss
{
    /// <summary>The loss and the metrics it is read with.</summary>
    /// <param name="Loss">Scalar tensor to back-propagate (the caller disposes it).</param>
    /// <param name="Accuracy">Share of pairs with r_w &gt; r_l (ties count ½): the reward's accuracy on the labels.
    /// </param>
    /// <param name="Margin">Mean r_w − r_l.</param>
    public sealed record Output(Tensor Loss, double Accuracy, double Margin);

    /// <param name="chosen">Rewards of the preferred images, [N].</param>
    /// <param name="rejected">Rewards of the other images, [N].</param>
    public static Output Compute(Tensor chosen, Tensor rejected)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        if (!chosen.shape.SequenceEqual(rejected.shape) || chosen.dim() != 1)
            throw new ArgumentException(
                $"rewards must be two [N] tensors, got [{string.Join(", ", chosen.shape)}] and "
                + $"[{string.Join(", ", rejected.shape)}]");
        using var scope = NewDisposeScope();
        var margin = chosen.sub(rejected);
        var loss = nn.functional.logsigmoid(margin).mean().neg();
        double[] margins;
        using (no_grad()) margins = margin.detach().to(ScalarType.Float64).data<double>().ToArray();
        double meanMargin = margins.Length == 0 ? 0 : margins.Average();
        return new Output(loss.MoveToOuterDisposeScope(), Accuracy(margins), meanMargin);
    }

    /// <summary>Share of positive margins, a zero margin (a tie) counting ½.</summary>
    public static double Accuracy(IReadOnlyList<double> margins) =>
        margins.Count == 0 ? double.NaN : margins.Sum(m => m > 0 ? 1.0 : m == 0 ? 0.5 : 0.0) / margins.Count;
}
