namespace DiffusionAlign.Training;

/// <summary>
/// The recipe for pretraining the embedded shapes-world model from scratch. Defaults are the documented
/// recipe of docs/base-model.md (the shipped <c>models/shapes-base</c> used 2600 steps and the split before it
/// had a validation set).
/// </summary>
public sealed record PretrainConfig
{
    public int Steps { get; init; } = 5000;

    /// <summary>Images per step of each process (all of them alone; see <see cref="DataParallelProcesses"/>).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Processes training together (<c>mpirun -np N</c>), each on <see cref="BatchSize"/> images of every global
    /// batch of N × that; the trainer's communicator must have this many. A checkpoint resumes only under the same
    /// number, since it fixes which images form a global batch.
    /// </summary>
    public int DataParallelProcesses { get; init; } = 1;

    /// <summary>Images per optimizer step over all processes.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int GlobalBatch => BatchSize * DataParallelProcesses;

    public double LearningRate { get; init; } = 1e-3;

    public int WarmupSteps { get; init; } = 200;

    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;

    public double WeightDecay { get; init; } = 1e-2;

    public double GradClipNorm { get; init; } = 1.0;

    /// <summary>
    /// Share of training prompts replaced by the empty prompt, so classifier-free guidance has an
    /// unconditional model.
    /// </summary>
    public double PromptDropout { get; init; } = 0.1;

    /// <summary>
    /// Share of training renders with a flaw; the base model learns to make good and bad images, which is
    /// what preference pairs need.
    /// </summary>
    public double FlawProbability { get; init; } = 0.5;

    public double EmaDecay { get; init; } = 0.999;

    public long Seed { get; init; } = 0;

    public int CheckpointEvery { get; init; } = 500;

    /// <summary>How many of the newest checkpoints to keep (older ones are deleted once a new one is safe).</summary>
    public int CheckpointsTotalLimit { get; init; } = 2;

    public int LogEvery { get; init; } = 10;

    public void Validate()
    {
        InvalidSettingException.Check(Steps >= 1, nameof(Steps), $"must be at least 1, got {Steps}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(DataParallelProcesses >= 1, nameof(DataParallelProcesses),
            $"must be at least 1, got {DataParallelProcesses}");
        InvalidSettingException.Check(LearningRate > 0, nameof(LearningRate), $"must be positive, got {LearningRate}");
        InvalidSettingException.Check(WarmupSteps >= 0, nameof(WarmupSteps), $"must be >= 0, got {WarmupSteps}");
        InvalidSettingException.Check(PromptDropout is >= 0 and <= 1, nameof(PromptDropout),
            $"must be in [0, 1], got {PromptDropout}");
        InvalidSettingException.Check(FlawProbability is >= 0 and <= 1, nameof(FlawProbability),
            $"must be in [0, 1], got {FlawProbability}");
        InvalidSettingException.Check(CheckpointsTotalLimit >= 1, nameof(CheckpointsTotalLimit),
            $"must be at least 1, got {CheckpointsTotalLimit}");
        InvalidSettingException.Check(EmaDecay is >= 0 and < 1, nameof(EmaDecay), $"must be in [0, 1), got {EmaDecay}");
    }
}
