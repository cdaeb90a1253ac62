using DiffusionAlign.Data.Generation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>Where each piece of a study lives under its folder: the one place the layout is spelled.</summary>
public sealed class StudyLayout(string root)
{
    public const string StudyJson = "study.json";
    public const string StudyMarkdown = "study.md";
    public const string ReportHtml = "report.html";
    public const string RunDoneFile = "run.json";
    public const string CheckpointResultFile = "result.json";
    public const string SamplesFile = "samples.json";
    public const string ModelFolder = "model";
    public const string MetricsFile = "metrics.jsonl";
    public const string TrainerCheckpointFolder = "checkpoint";

    public string Root { get; } = root;

    /// <summary>
    /// <paramref name="path"/> relative to the study folder, as the study's JSON records paths: the folder can be
    /// moved or read from another working directory.
    /// </summary>
    public string Relative(string path) => Path.GetRelativePath(Path.GetFullPath(Root), Path.GetFullPath(path));

    /// <summary>A path the study's JSON recorded (relative to the study folder, or absolute) as a full path.</summary>
    public string Resolve(string path) => Path.GetFullPath(Path.Combine(Root, path));

    /// <summary>The settings the study was started with; a resume must use the same.</summary>
    public string ConfigFile => Path.Combine(Root, "study-config.json");

    public string StageFile(StudyStage stage) => Path.Combine(Root, "stages", stage.Key() + ".json");

    public string TimingsFile => Path.Combine(Root, "stages", "timings.json");

    public string PairsFolder(PairSource source, Worlds.Shapes.PromptSet split) =>
        Path.Combine(Root, "pairs", source.Key(), split.ToString().ToLowerInvariant());

    /// <summary>The base model's samples and pair errors on the validation or test prompts.</summary>
    public string BaseSamples(Worlds.Shapes.PromptSet set) =>
        Path.Combine(Root, "base", set.ToString().ToLowerInvariant() + ".json");

    public string GridRun(StudyRegime regime, GridPoint point) =>
        Path.Combine(Root, "grid", regime.Key(), point.Name);

    public string ReplicateRun(StudyRegime regime, StudyFamily family, long seed) =>
        Path.Combine(Root, "replicates", regime.Key(), family.Key(), $"seed-{seed}");

    public string TestSamples(StudyRegime regime, StudyFamily family, long seed) =>
        Path.Combine(Root, "test", regime.Key(), family.Key(), $"seed-{seed}.json");

    /// <summary>A run's checkpoint folder: its weights, and (for grid runs) its validation results.</summary>
    public static string Checkpoint(string runDir, int step) => Path.Combine(runDir, $"step-{step}");

    public string Plot(string name) => Path.Combine(Root, name);
}
