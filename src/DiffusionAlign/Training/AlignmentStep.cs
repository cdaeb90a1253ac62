using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// The two forwards of an alignment step on one micro-batch's <see cref="PairInputs"/>: the
/// policy's (with autograd) and the frozen reference's. Shared by <see cref="PreferenceTrainer"/>
/// and the benchmark, so the benchmark times the code that trains.
/// </summary>
public static class AlignmentStep
{
    public static Tensor PolicyPrediction(TextToImageModel policy, PairInputs inputs, StepExecution execution) =>
        Forward(policy, inputs, execution.BatchWinnersAndLosers);

    public static Tensor ReferencePrediction(TextToImageModel reference, PairInputs inputs, StepExecution execution)
    {
        switch (execution.Reference)
        {
            case ReferenceMode.InferenceMode:
                Tensor prediction;
                using (inference_mode(true)) prediction = Forward(reference, inputs, execution.BatchWinnersAndLosers);
                // An inference tensor may not be saved for backward by the loss's ops; a clone
                // made outside inference mode is an ordinary tensor (a copy of 2B images, negligible).
                using (prediction) return prediction.clone();
            case ReferenceMode.NoGrad:
                using (no_grad()) return Forward(reference, inputs, execution.BatchWinnersAndLosers);
            default:
                return Forward(reference, inputs, execution.BatchWinnersAndLosers);
        }
    }

    private static Tensor Forward(TextToImageModel model, PairInputs inputs, bool batched)
    {
        if (batched) return model.Predict(inputs.Noisy, inputs.Timesteps, inputs.Text);
        long b = inputs.Noisy.shape[0] / 2;
        var winners = model.Predict(inputs.Noisy[..(int)b], inputs.Timesteps[..(int)b], inputs.Text[..(int)b]);
        var losers = model.Predict(inputs.Noisy[(int)b..], inputs.Timesteps[(int)b..], inputs.Text[(int)b..]);
        return cat(new[] { winners, losers }, 0);
    }
}
