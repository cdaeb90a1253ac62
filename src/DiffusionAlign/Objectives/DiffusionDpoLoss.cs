using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>
/// Diffusion-DPO (Wallace et al. 2023): <c>loss = mean −log σ(u)</c> with
/// <c>u = −(β/2)·((m_w − m_l) − (r_w − r_l))</c>, pushing the model to denoise winners better than
/// losers relative to the frozen reference.
/// </summary>
/// <remarks>
/// <c>−log σ(u)</c> is computed as <c>−logsigmoid(u)</c>, finite for any <c>u</c> (with β = 5000 a unit
/// change of error differences moves <c>u</c> by 2500, where <c>log(sigmoid(u))</c> would give −∞).
/// Published β: 2000–5000 (docs/method.md, "Diffusion-DPO").
/// </remarks>
public sealed class DiffusionDpoLoss : IPreferenceObjective
{
    /// <summary>β of Wallace et al.'s Stable Diffusion 1.5 recipe, and this project's default.</summary>
    public const double DefaultBeta = 2000;

    /// <param name="beta">KL-regularisation strength β (&gt; 0); scales the margin <c>u</c>.</param>
    public DiffusionDpoLoss(double beta)
    {
        if (!(beta > 0) || double.IsInfinity(beta))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be positive and finite");
        Beta = beta;
    }

    /// <summary>β of the margin <c>u</c>.</summary>
    public double Beta { get; }

    public string Name => "diffusion-dpo";

    public bool NeedsReference => true;

    public ObjectiveInput Input => ObjectiveInput.PairBatch;

    /// <inheritdoc/>
    /// <remarks>
    /// Metrics: the pair metrics of <see cref="ObjectiveMetrics"/> (implicit accuracy, margin, errors vs
    /// reference, MSEs).
    /// </remarks>
    public ObjectiveOutput Compute(Tensor modelPred, Tensor? referencePred, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(referencePred, nameof(referencePred));
        using var scope = NewDisposeScope();
        var errors = PairErrors.Compute(modelPred, referencePred, target);
        var margin = errors.Margin(Beta);
        var loss = -nn.functional.logsigmoid(margin).mean();
        return ObjectiveMetrics.Escape(loss, ObjectiveMetrics.ForPairs(errors, margin));
    }
}
