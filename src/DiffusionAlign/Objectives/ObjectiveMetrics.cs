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
            var wins = margin.gt(0).to_type(ScalarType.Float32);
            var ties = margin.eq(0).to_type(ScalarType.Float32);
            return (wins + ties * 0.5).mean();
        }
    }

    /// <summary>The metrics every pair objective logs, from its errors and margin.</summary>
    internal static Dictionary<string, Tensor> ForPairs(PairErrors errors, Tensor margin)
    {
        using (no_grad())
        {
            return new Dictionary<string, Tensor>
            {
                [ImplicitAccuracy] = ImplicitAccuracyOf(margin),
                [ImplicitRewardMargin] = margin.detach().mean(),
                [WinnerErrorVsReference] = (errors.ModelWinner - errors.ReferenceWinner).detach().mean(),
                [LoserErrorVsReference] = (errors.ModelLoser - errors.ReferenceLoser).detach().mean(),
                // Halves have equal size, so the mean of the two means is the mean over all 2B images.
                [ModelMse] = ((errors.ModelWinner.detach().mean() + errors.ModelLoser.detach().mean()) * 0.5),
                [ReferenceMse] = ((errors.ReferenceWinner.mean() + errors.ReferenceLoser.mean()) * 0.5),
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
