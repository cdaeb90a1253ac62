using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>The base model's samples on a prompt set: measured once per study and kept.</summary>
public static class BaseSamples
{
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job: rank 0 says whether the samples are saved; if not, the processes share
    /// the sampling (<see cref="ModelSamples.Measure"/>) and rank 0 saves them. Every one returns the same samples.
    /// </param>
    public static ModelSamples Get(TextToImageModel baseModel, ShapesWorld world, EvaluationConfig evaluation,
        IReadOnlyDictionary<PairSource, IReadOnlyList<PreferencePair>> pairs, StudyLayout layout,
        IProgress<StudyProgress>? progress, Action<string>? log, CancellationToken cancel,
        ICommunicator? communicator = null)
    {
        communicator ??= SingleProcessCommunicator.Instance;
        string path = layout.BaseSamples(evaluation.PromptSet);
        var saved = StudyJson.TryLoad<ModelSamples>(path, communicator);
        if (saved is not null && saved.EvaluationSeed == evaluation.Seed) return saved;
        var samples = ModelSamples.Measure(baseModel, world, evaluation, pairs, "base", progress, cancel,
            communicator);
        if (communicator.Rank != 0) return samples;
        StudyJson.Save(path, samples);
        log?.Invoke($"base on {EvaluationPrompts.Name(evaluation.PromptSet)} prompts: mean reward "
            + $"{samples.Reward.Average():F3} over {samples.Reward.Length} samples ({samples.Seconds:F0} s)");
        return samples;
    }
}
