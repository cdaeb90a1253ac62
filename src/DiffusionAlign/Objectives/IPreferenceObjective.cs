using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>
/// A training objective as a pure function of tensors (TRL style): the trainer runs the forward
/// passes and feeds their outputs here; the objective returns the loss and the quantities worth logging.
/// </summary>
/// <remarks>
/// Contract for the trainer:
/// <list type="bullet">
/// <item>Run the model on the layout given by <see cref="Input"/>; with
/// <see cref="ObjectiveInput.PairBatch"/> that is <c>[x_t^w ; x_t^l]</c> built from the same <c>t</c> and
/// the same <c>ε</c> for both images of a pair.</item>
/// <item>Run the frozen reference on the same inputs (under <c>no_grad</c>) only when
/// <see cref="NeedsReference"/> is true; otherwise pass <c>null</c>.</item>
/// <item><c>target</c> is the regression target of the prediction type (<c>ε</c>, or <c>v</c> for
/// v-prediction models), same shape as the predictions.</item>
/// </list>
/// </remarks>
public interface IPreferenceObjective
{
    /// <summary>Short name for logs and run folders, e.g. <c>diffusion-dpo</c>.</summary>
    string Name { get; }

    /// <summary>Whether <see cref="Compute"/> needs the frozen reference's prediction.</summary>
    bool NeedsReference { get; }

    /// <summary>Which rows the trainer must put in the batch.</summary>
    ObjectiveInput Input { get; }

    /// <summary>
    /// Loss (scalar, differentiable w.r.t. <paramref name="modelPred"/>) and detached scalar metrics.
    /// No host synchronisation happens inside: read metrics only on logging steps.
    /// </summary>
    ObjectiveOutput Compute(Tensor modelPred, Tensor? referencePred, Tensor target);
}
