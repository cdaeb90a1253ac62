namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// Wall-clock seconds spent in each stage, summed over every invocation (a stopped and resumed stage counts all
/// its parts), saved after each stage so a killed study keeps what it measured.
/// </summary>
public sealed class StudyTimings
{
    private readonly string? _path;

    private StudyTimings(string? path, Dictionary<string, double> seconds)
    {
        _path = path;
        Seconds = seconds;
    }

    public Dictionary<string, double> Seconds { get; }

    public static StudyTimings Load(StudyLayout layout) =>
        new(layout.TimingsFile, StudyJson.TryLoad<Dictionary<string, double>>(layout.TimingsFile) ?? new());

    /// <summary>Timings kept in memory only: those of a rank other than 0, which writes the study's files.</summary>
    public static StudyTimings Unsaved() => new(null, new());

    public void Add(StudyStage stage, double seconds)
    {
        Seconds[stage.Key()] = Seconds.GetValueOrDefault(stage.Key()) + seconds;
        if (_path is not null) StudyJson.Save(_path, Seconds);
    }
}
