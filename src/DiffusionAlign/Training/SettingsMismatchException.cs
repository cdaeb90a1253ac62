namespace DiffusionAlign.Training;

/// <summary>
/// A resume asked with settings that differ from the checkpoint's: each differing setting (by property name,
/// which a front end can map to its own flag) with the saved and the given value.
/// </summary>
public sealed class SettingsMismatchException(
    string checkpoint, IReadOnlyList<SettingsMismatchException.Difference> differences)
    : DiffusionAlignException(
        $"the checkpoint in {checkpoint} was made with other settings: "
        + string.Join(", ", differences.Select(d => $"{d.Setting} {d.Saved} (now {d.Given})"))
        + "; resume with the same settings or start in a new folder")
{
    public sealed record Difference(string Setting, string Saved, string Given);

    public string Checkpoint { get; } = checkpoint;

    public IReadOnlyList<Difference> Differences { get; } = differences;
}
