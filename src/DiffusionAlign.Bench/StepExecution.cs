using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench;

/// <summary>How the frozen reference's forward runs in a benchmarked step.</summary>
public enum ReferenceMode
{
    /// <summary>LibTorch inference mode, as <see cref="PreferenceStep.ReferencePrediction"/> runs it.</summary>
    InferenceMode,

    /// <summary><c>no_grad</c>: no autograd graph, but version-counter bookkeeping.</summary>
    NoGrad,

    /// <summary>
    /// Gradients enabled, as a naive loop that forgets to detach the reference would run: the graph
    /// and its activations are kept, and backward runs through the reference too if its weights
    /// require gradients.
    /// </summary>
    Graph,
}

/// <summary>
/// How a benchmarked alignment step runs its two forwards, built from <see cref="PreferenceStep"/>'s
/// pieces. <see cref="Default"/> is exactly the trainer's step; the others compute the same result
/// (up to rounding) and exist so <c>dalign bench</c> can show what each lever is worth.
/// </summary>
/// <param name="Reference">How the reference forward runs.</param>
/// <param name="BatchWinnersAndLosers">One forward on <c>[x^w ; x^l]</c> (2B images) instead of two of B.</param>
public sealed record StepExecution(ReferenceMode Reference = ReferenceMode.InferenceMode,
    bool BatchWinnersAndLosers = true)
{
    public static StepExecution Default { get; } = new();

    /// <summary>The reference's prediction on <paramref name="inputs"/> in this setting.</summary>
    public Tensor ReferencePrediction(TextToImageModel reference, PreferenceStep.Inputs inputs)
    {
        switch (Reference)
        {
            case ReferenceMode.InferenceMode when BatchWinnersAndLosers:
                return PreferenceStep.ReferencePrediction(reference, inputs);
            case ReferenceMode.InferenceMode:
                return PreferenceStep.WithoutGraph(() => Forward(reference, inputs, batched: false));
            case ReferenceMode.NoGrad:
                using (no_grad()) return Forward(reference, inputs, BatchWinnersAndLosers);
            default:
                return Forward(reference, inputs, BatchWinnersAndLosers);
        }
    }

    /// <summary>The policy's prediction on <paramref name="inputs"/>, with autograd.</summary>
    public Tensor PolicyPrediction(TextToImageModel policy, PreferenceStep.Inputs inputs) =>
        Forward(policy, inputs, BatchWinnersAndLosers);

    private static Tensor Forward(TextToImageModel model, PreferenceStep.Inputs inputs, bool batched)
    {
        if (batched) return model.Predict(inputs.Noisy, inputs.Timesteps, inputs.Text);
        int b = (int)(inputs.Noisy.shape[0] / 2);
        var winners = model.Predict(inputs.Noisy[..b], inputs.Timesteps[..b], inputs.Text[..b]);
        var losers = model.Predict(inputs.Noisy[b..], inputs.Timesteps[b..], inputs.Text[b..]);
        return cat(new[] { winners, losers }, 0);
    }
}
