using System.Text.Json;

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

    /// <summary>
    /// The settings whose values differ between two configs of one type, compared as JSON (records compare lists
    /// by reference).
    /// </summary>
    public static List<Difference> Compare<T>(T saved, T given)
    {
        var a = JsonSerializer.SerializeToElement(saved);
        var b = JsonSerializer.SerializeToElement(given);
        return a.EnumerateObject()
            .Select(p => (p.Name, Saved: p.Value.GetRawText(), Given: b.GetProperty(p.Name).GetRawText()))
            .Where(d => d.Saved != d.Given)
            .Select(d => new Difference(d.Name, d.Saved, d.Given))
            .ToList();
    }
}
