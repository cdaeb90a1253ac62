namespace DiffusionAlign.Evaluation.Reports;

/// <summary>A training log found in a run: the run's own, or one per method of a demo folder.</summary>
internal sealed record TrainingLog(
    string Label, string MetricsPath, MetricsLogSummary Summary, int? CheckpointStep, IReadOnlyList<Field> Recipe,
    IReadOnlyList<Field> Provenance);

/// <summary>A PNG found in a run folder, with its bytes to embed and its size in pixels.</summary>
internal sealed record RunImage(string RelativePath, byte[] Png, int Width, int Height);

/// <summary>
/// What the report found in one <c>--run</c>: an evaluation's results, training logs, sample grids and the
/// settings that made them. Any part may be absent.
/// </summary>
internal sealed record ReportRun(
    string Name,
    string FullPath,
    ResultsView? Results,
    string? ResultsPath,
    IReadOnlyList<TrainingLog> Training,
    IReadOnlyList<RunImage> Images,
    IReadOnlyList<Field> Provenance,
    IReadOnlyList<string> Notes,
    DateTime LastWrittenUtc);
