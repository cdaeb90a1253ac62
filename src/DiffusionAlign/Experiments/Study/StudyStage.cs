namespace DiffusionAlign.Experiments.Study;

/// <summary>The study's stages, in order; each saves its results under the study folder for the next.</summary>
public enum StudyStage
{
    /// <summary>Training, validation and test pairs of each source, one labeller for all.</summary>
    Pairs,

    /// <summary>Every grid point of every regime trained with seed 0, each checkpoint judged on validation.</summary>
    Grid,

    /// <summary>Per regime and family, the (setting, checkpoint) with the best validation win rate.</summary>
    Select,

    /// <summary>Each chosen configuration trained with the other seeds.</summary>
    Replicates,

    /// <summary>Every replicate judged once on the test prompts; pooled tables and head-to-heads.</summary>
    Test,

    /// <summary>Correlations, plots, study.json, study.md and report.html.</summary>
    Summary,
}

/// <summary>Names of the stages.</summary>
public static class StudyStages
{
    public static IReadOnlyList<StudyStage> All { get; } = Enum.GetValues<StudyStage>();

    public static string Key(this StudyStage stage) => stage.ToString().ToLowerInvariant();

    /// <exception cref="DiffusionAlignException">No stage has that name.</exception>
    public static StudyStage Parse(string name)
    {
        foreach (var stage in All)
            if (stage.Key().Equals(name, StringComparison.OrdinalIgnoreCase)) return stage;
        throw new DiffusionAlignException(
            $"unknown study stage '{name}': one of {string.Join(", ", All.Select(s => s.Key()))}");
    }
}
