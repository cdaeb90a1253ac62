using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>
/// Supervised fine-tuning on the preferred images: the standard denoising loss on winners only,
/// <c>mean ‖ε_θ^w − target^w‖²</c> (averaged over C, H, W and the batch). Needs no reference model.
/// </summary>
/// <remarks>
/// Batch convention: by default SFT takes the same <c>[winners ; losers]</c> pair batch as the pair
/// objectives and ignores the second half, so a trainer that always builds pair batches is correct
/// without special cases. Built with <see cref="ObjectiveInput.WinnersOnly"/>, it expects winners only
/// (every row is a winner) and the trainer must feed only winners — halving the model's forward cost,
/// which is what the authors' SFT does. The trainer reads <see cref="Input"/> to know which.
/// </remarks>
public sealed class SftLoss : IPreferenceObjective
{
    /// <param name="input">Layout the trainer will feed: the pair batch (default) or winners only.</param>
    public SftLoss(ObjectiveInput input = ObjectiveInput.PairBatch)
    {
        if (!Enum.IsDefined(input)) throw new ArgumentOutOfRangeException(nameof(input), input, "unknown batch layout");
        Input = input;
    }

    public string Name => "sft";

    public bool NeedsReference => false;

    public ObjectiveInput Input { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// <paramref name="referencePred"/> is ignored (may be null). Metrics: <c>model_mse</c> over the winners.
    /// </remarks>
    public ObjectiveOutput Compute(Tensor modelPred, Tensor? referencePred, Tensor target)
    {
        bool paired = Input == ObjectiveInput.PairBatch;
        PairBatch.Validate(paired, modelPred, null, target);
        using var scope = NewDisposeScope();
        var prediction = paired ? PairBatch.Winners(modelPred) : modelPred;
        var goal = paired ? PairBatch.Winners(target) : target;
        var loss = TensorPower.Square(PairBatch.AtLeastFloat32(prediction) - PairBatch.AtLeastFloat32(goal)).mean();
        var metrics = new Dictionary<string, Tensor> { [ObjectiveMetrics.ModelMse] = loss.detach().clone() };
        return ObjectiveMetrics.Escape(loss, metrics);
    }
}
