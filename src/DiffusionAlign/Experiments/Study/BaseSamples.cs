using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>The base model's samples on a prompt set: measured once per study and kept.</summary>
public static class BaseSamples
{
    public static ModelSamples Get(TextToImageModel baseModel, ShapesWorld world, EvaluationConfig evaluation,
        IReadOnlyDictionary<PairSource, IReadOnlyList<PreferencePair>> pairs, StudyLayout layout,
        IProgress<StudyProgress>? progress, Action<string>? log, CancellationToken cancel)
    {
        string path = layout.BaseSamples(evaluation.PromptSet);
        var saved = StudyJson.TryLoad<ModelSamples>(path);
        if (saved is not null && saved.EvaluationSeed == evaluation.Seed) return saved;
        var samples = ModelSamples.Measure(baseModel, world, evaluation, pairs, "base", progress, cancel);
        StudyJson.Save(path, samples);
        log?.Invoke($"base on {EvaluationPrompts.Name(evaluation.PromptSet)} prompts: mean reward "
            + $"{samples.Reward.Average():F3} over {samples.Reward.Length} samples ({samples.Seconds:F0} s)");
        return samples;
    }
}
