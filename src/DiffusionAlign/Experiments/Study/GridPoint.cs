using System.Globalization;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Experiments.Study;

/// <summary>One setting of a family's grid: β, and for the margin form the margin's own scale.</summary>
/// <param name="Beta">β (unused by SFT, recorded as its default).</param>
/// <param name="MarginBeta">Scale of DSPO's margin u (only <see cref="StudyFamily.DspoMargin"/>).</param>
public sealed record GridPoint(StudyFamily Family, double Beta, double? MarginBeta = null)
{
    /// <summary>The run's folder name, e.g. <c>dpo-b2000</c> or <c>dspo-margin-b0.01-m2000</c>.</summary>
    public string Name => Family switch
    {
        StudyFamily.Sft => "sft",
        StudyFamily.DspoMargin => $"{Family.Key()}-b{Number(Beta)}-m{Number(MarginBeta ?? Beta)}",
        _ => $"{Family.Key()}-b{Number(Beta)}",
    };

    /// <summary>The settings as a table shows them.</summary>
    public string Describe() => Family switch
    {
        StudyFamily.Sft => "—",
        StudyFamily.DspoMargin => $"β={Number(Beta)}, margin β={Number(MarginBeta ?? Beta)}",
        _ => $"β={Number(Beta)}",
    };

    /// <summary>The recipe of this point under the study's shared training settings and a seed.</summary>
    public AlignConfig Recipe(StudyTraining training, long seed)
    {
        var method = Family switch
        {
            StudyFamily.Sft => AlignMethod.Sft,
            StudyFamily.Dpo => AlignMethod.Dpo,
            _ => AlignMethod.Dspo,
        };
        var recipe = AlignConfig.DefaultsFor(method) with
        {
            Steps = training.Steps,
            BatchSize = training.BatchSize,
            LearningRate = training.LearningRate,
            WarmupSteps = training.WarmupSteps,
            PromptDropout = training.PromptDropout,
            RandomFlip = training.RandomFlip,
            Seed = seed,
            // The study saves its own checkpoints between segments; the trainer's is only for a killed run.
            CheckpointEvery = 0,
            CheckpointsTotalLimit = 1,
            LogEvery = training.LogEvery,
        };
        return Family switch
        {
            StudyFamily.Sft => recipe,
            StudyFamily.Dpo => recipe with { Beta = Beta },
            StudyFamily.DspoSd15 => recipe with { Beta = Beta, DspoVariant = DspoVariant.ScoreMatching },
            StudyFamily.DspoMargin => recipe with
            {
                Beta = Beta, DspoVariant = DspoVariant.ScoreMatching, DspoMarginBeta = MarginBeta,
            },
            StudyFamily.DspoSdxl => recipe with { Beta = Beta, DspoVariant = DspoVariant.Sdxl },
            _ => throw new ArgumentOutOfRangeException(nameof(Family), Family, null),
        };
    }

    private static string Number(double value) => value.ToString("0.#####", CultureInfo.InvariantCulture);
}
