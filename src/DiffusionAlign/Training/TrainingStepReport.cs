namespace DiffusionAlign.Training;

/// <summary>What a trainer reports on logging steps: enough for a progress bar and a metrics file.</summary>
/// <param name="Step">1-based index of the optimizer step just finished.</param>
/// <param name="TotalSteps">Steps the run will take.</param>
/// <param name="Loss">Mean loss over the step's micro-batches.</param>
/// <param name="LearningRate">Learning rate used for the step.</param>
/// <param name="ExamplesPerSecond">
/// Throughput since the previous report (images for pretraining, pairs for alignment).
/// </param>
/// <param name="Metrics">Objective metrics by the paper's names (implicit_acc, ...), empty for pretraining.</param>
public sealed record TrainingStepReport(
    int Step,
    int TotalSteps,
    double Loss,
    double LearningRate,
    double ExamplesPerSecond,
    IReadOnlyDictionary<string, double> Metrics);
