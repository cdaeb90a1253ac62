using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>
/// Names of the logged quantities, after the papers' (Diffusion-DPO's training script logs the same),
/// and the functions computing them. All metrics are detached scalar tensors.
/// </summary>
public static class ObjectiveMetrics
{
    /// <summary>Fraction of pairs with margin <c>u &gt; 0</c>; a tie <c>u == 0</c> counts ½.</summary>
    public const string ImplicitAccuracy = "implicit_acc";

    /// <summary>
    /// Mean margin <c>u</c> = mean of <c>r̂_w − r̂_l</c>, the difference of implicit rewards of winner and
    /// loser (TRL's "rewards/margins"), on the β-scaled scale of the DPO sigmoid's argument.
    /// </summary>
    public const string ImplicitRewardMargin = "implicit_reward_margin";

    /// <summary>
    /// <c>mean(m_w − r_w)</c>: how much worse than the reference the model denoises winners (must not blow up).
    /// </summary>
    public const string WinnerErrorVsReference = "winner_err_vs_ref";

    /// <summary><c>mean(m_l − r_l)</c>: the same for losers (DPO typically lets this grow).</summary>
    public const string LoserErrorVsReference = "loser_err_vs_ref";

    /// <summary>
    /// The model's denoising MSE over every image the objective saw (both halves for pair objectives, winners
    /// for SFT).
    /// </summary>
    public const string ModelMse = "model_mse";

    /// <summary>The reference's denoising MSE over both halves.</summary>
    public const string ReferenceMse = "ref_mse";

    /// <summary>DSPO: mean of <c>g = 1 − σ(u)</c>, the preference-gap weight (½ when model = reference).</summary>
    public const string MeanG = "mean_g";

    /// <summary>
    /// DSPO: mean over winners of <c>‖ε_θ^w − ε_ref^w‖²</c> (per-sample mean over C,H,W), the quantity the
    /// SDXL variant thresholds.
    /// </summary>
    public const string WinnerScoreGap = "winner_score_gap";

    /// <summary>Implicit accuracy of a margin vector, ties counting ½, as a detached scalar tensor.</summary>
    public static Tensor ImplicitAccuracyOf(Tensor margin)
    {
        using (no_grad())
        {
            // Rooted, as every Scalar handed to TorchSharp (TensorSum says why): Int32 0 and double ½, as before.
            using Scalar zero = 0.ToScalar(), half = 0.5.ToScalar();
            var wins = margin.gt(zero).to_type(ScalarType.Float32);
            var ties = margin.eq(zero).to_type(ScalarType.Float32);
            return TensorSum.Add(wins, ties.mul(half)).mean();
        }
    }

    /// <summary>The metrics every pair objective logs, from its errors and margin.</summary>
    internal static Dictionary<string, Tensor> ForPairs(PairErrors errors, Tensor margin)
    {
        using (no_grad())
        {
            using var half = 0.5.ToScalar();
            return new Dictionary<string, Tensor>
            {
                [ImplicitAccuracy] = ImplicitAccuracyOf(margin),
                [ImplicitRewardMargin] = margin.detach().mean(),
                [WinnerErrorVsReference] = (errors.ModelWinner - errors.ReferenceWinner).detach().mean(),
                [LoserErrorVsReference] = (errors.ModelLoser - errors.ReferenceLoser).detach().mean(),
                // Halves have equal size, so the mean of the two means is the mean over all 2B images.
                [ModelMse] = TensorSum.Add(errors.ModelWinner.detach().mean(), errors.ModelLoser.detach().mean())
                    .mul(half),
                [ReferenceMse] = TensorSum.Add(errors.ReferenceWinner.mean(), errors.ReferenceLoser.mean()).mul(half),
            };
        }
    }

    /// <summary>Moves an output's tensors out of the objective's own dispose scope into the caller's.</summary>
    internal static ObjectiveOutput Escape(Tensor loss, Dictionary<string, Tensor> metrics)
    {
        loss.MoveToOuterDisposeScope();
        foreach (var metric in metrics.Values) metric.MoveToOuterDisposeScope();
        return new ObjectiveOutput(loss, metrics);
    }
}
