using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>
/// The four per-pair denoising errors every pair objective starts from (docs/method.md, "A training batch of pairs"):
/// <c>m_w, m_l</c> for the model and <c>r_w, r_l</c> for the frozen reference, each
/// <c>‖pred − target‖²</c> averaged over all non-batch axes (C, H, W). Each is a [B] vector.
/// </summary>
/// <remarks>
/// Model errors carry gradient; reference errors never do (the reference prediction is detached here,
/// as in the authors' code, even if the caller forgot <c>no_grad</c>).
/// </remarks>
public sealed class PairErrors
{
    private PairErrors(Tensor modelWinner, Tensor modelLoser, Tensor referenceWinner, Tensor referenceLoser)
    {
        ModelWinner = modelWinner;
        ModelLoser = modelLoser;
        ReferenceWinner = referenceWinner;
        ReferenceLoser = referenceLoser;
    }

    /// <summary><c>m_w</c>: the model's error on each winner, [B].</summary>
    public Tensor ModelWinner { get; }

    /// <summary><c>m_l</c>: the model's error on each loser, [B].</summary>
    public Tensor ModelLoser { get; }

    /// <summary><c>r_w</c>: the reference's error on each winner, [B], no gradient.</summary>
    public Tensor ReferenceWinner { get; }

    /// <summary><c>r_l</c>: the reference's error on each loser, [B], no gradient.</summary>
    public Tensor ReferenceLoser { get; }

    /// <summary>Number of pairs B.</summary>
    public long Pairs => ModelWinner.shape[0];

    /// <summary>Splits a <c>[winners ; losers]</c> batch of predictions into the four per-pair errors.</summary>
    /// <param name="modelPred">Model prediction, [2B, ...], with gradient.</param>
    /// <param name="referencePred">Frozen reference prediction on the same inputs, [2B, ...].</param>
    /// <param name="target">Training target (ε, or v), [2B, ...].</param>
    public static PairErrors Compute(Tensor modelPred, Tensor referencePred, Tensor target)
    {
        PairBatch.Validate(paired: true, modelPred, referencePred, target);
        var model = PerSampleMse(modelPred, target);
        Tensor reference;
        using (no_grad()) reference = PerSampleMse(referencePred.detach(), target);
        return new PairErrors(
            PairBatch.Winners(model), PairBatch.Losers(model),
            PairBatch.Winners(reference), PairBatch.Losers(reference));
    }

    /// <summary>
    /// Mean squared error per sample: average of <c>(pred − target)²</c> over every axis but the first.
    /// </summary>
    public static Tensor PerSampleMse(Tensor pred, Tensor target)
    {
        var diff = PairBatch.AtLeastFloat32(pred) - PairBatch.AtLeastFloat32(target);
        return TensorPower.Square(diff).reshape(diff.shape[0], -1).mean([1]);
    }

    /// <summary>
    /// Diffusion-DPO's margin <c>u = −(β/2)·((m_w − m_l) − (r_w − r_l))</c>, [B]. Equal to the difference of
    /// implicit rewards <c>r̂_w − r̂_l</c> at this (t, ε); positive when the model ranks the pair right.
    /// </summary>
    public Tensor Margin(double beta)
    {
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using var scale = (-beta / 2).ToScalar();
        return ((ModelWinner - ModelLoser) - (ReferenceWinner - ReferenceLoser)).mul(scale);
    }
}
