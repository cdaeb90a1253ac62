using DiffusionAlign.Training;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// What every alignment run of the study shares: length, batch, learning rate and the papers' augmentation
/// (20% empty prompts, random flips), and how many evenly spaced checkpoints each run is judged at.
/// </summary>
public sealed record StudyTraining
{
    public int Steps { get; init; } = 105;

    /// <summary>Pairs per optimizer step.</summary>
    public int BatchSize { get; init; } = 4;

    public double LearningRate { get; init; } = AlignConfig.DefaultsFor(Objectives.AlignMethod.Dpo).LearningRate;

    public int WarmupSteps { get; init; } = 10;

    /// <summary>Share of prompts replaced by the empty prompt, as Diffusion-DPO and DSPO train on Pick-a-Pic.</summary>
    public double PromptDropout { get; init; } = 0.2;

    public bool RandomFlip { get; init; } = true;

    /// <summary>Checkpoints per run, at steps T·k/n for k = 1..n (the last is the run's end).</summary>
    public int Checkpoints { get; init; } = 3;

    public int LogEvery { get; init; } = 1;

    /// <summary>The steps each run is saved and judged at, ascending, ending at <see cref="Steps"/>.</summary>
    public IReadOnlyList<int> CheckpointSteps() =>
        [.. Enumerable.Range(1, Checkpoints)
            .Select(k => (int)Math.Round((double)Steps * k / Checkpoints))
            .Where(s => s >= 1)
            .Distinct()
            .Order()];

    /// <exception cref="InvalidSettingException">A setting out of range.</exception>
    public void Validate()
    {
        InvalidSettingException.Check(Steps >= 1, nameof(Steps), $"must be at least 1, got {Steps}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(Checkpoints >= 1 && Checkpoints <= Steps, nameof(Checkpoints),
            $"must be between 1 and the steps ({Steps}), got {Checkpoints}");
        InvalidSettingException.Check(PromptDropout is >= 0 and <= 1, nameof(PromptDropout),
            $"must be in [0, 1], got {PromptDropout}");
    }
}
