namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// The checkpoint writes of one child process, told apart from folders an earlier process left: a kill can leave
/// a temp folder, and deleting folders (old steps past the keep limit, the whole checkpoint/ on --overwrite)
/// touches them too, so neither a name nor a time alone says whose a folder is.
/// </summary>
public sealed class KillResumeWrites
{
    private readonly string _outDir;
    private readonly bool _resume;
    private readonly Dictionary<string, DateTime> _stale;

    /// <summary>Call before the child starts; <paramref name="resume"/>: it was started with --resume.</summary>
    public KillResumeWrites(string outDir, bool resume)
    {
        _outDir = outDir;
        _resume = resume;
        _stale = KillResumeFolder.Writes(outDir).ToDictionary(w => w.Name, w => w.LastWriteUtc);
    }

    /// <summary>
    /// The child's writes now: folders that were not there at its start (or have gone and come back since), and
    /// on --resume a leftover temp folder it touched — only a checkpoint write deletes and recreates one there,
    /// whereas an --overwrite start touches leftovers while deleting them.
    /// </summary>
    public List<KillResumeFolder.Write> Current()
    {
        var now = KillResumeFolder.Writes(_outDir);
        foreach (string gone in _stale.Keys.Except(now.Select(w => w.Name)).ToList()) _stale.Remove(gone);
        return now.Where(w => !_stale.TryGetValue(w.Name, out var before)
            || (_resume && w.InProgress && w.LastWriteUtc != before)).ToList();
    }
}
