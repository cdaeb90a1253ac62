using DiffusionAlign.Pipelines;

namespace DiffusionAlign.Training.Logging;

/// <summary>
/// Watches a <see cref="PreferenceTrainer"/> run: told when it starts (or resumes), every logged step's report
/// (the same numbers as a line of <c>metrics.jsonl</c>), and after every optimizer step, with the policy as it now
/// is. <see cref="TensorBoardLogger"/> is one; a library user can pass their own.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>
    /// Called once before the first step of this invocation: <paramref name="startStep"/> is 0 for a new run, the
    /// checkpoint's step for a resumed one.
    /// </summary>
    void RunStarted(int startStep, int totalSteps);

    /// <summary>Called on each logged step, after its line is written to <c>metrics.jsonl</c>.</summary>
    void StepLogged(TrainingStepReport report);

    /// <summary>
    /// Called after each optimizer step (1-based <paramref name="step"/>), before its checkpoint. An observer may
    /// sample <paramref name="policy"/>; it must leave the weights, their gradients and the modules' train/eval
    /// modes as it found them. Its time is not counted in the run's throughput.
    /// </summary>
    void StepFinished(int step, TextToImageModel policy);
}
