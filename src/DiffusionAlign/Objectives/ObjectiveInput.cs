namespace DiffusionAlign.Objectives;

/// <summary>
/// Which images an objective expects the trainer to run through the model. Pair objectives need
/// both halves; SFT can save half the model forward by being fed winners only, but only when it
/// was built to expect that, since a [2B] pair batch and a [B] winner batch cannot be told apart by shape.
/// </summary>
public enum ObjectiveInput
{
    /// <summary>
    /// The full pair batch <c>[x_w ; x_l]</c> (shape [2B, ...], winners first), the same <c>t</c> and
    /// <c>ε</c> for both halves of a pair.
    /// </summary>
    PairBatch,

    /// <summary>Only the winners (shape [B, ...]); every row of every input is a winner.</summary>
    WinnersOnly,
}
