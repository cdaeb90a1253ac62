namespace DiffusionAlign.Bench.Machine;

/// <summary>Resident memory of this process from /proc (Linux); null elsewhere.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size in MiB (VmHWM), including LibTorch's native allocations.</summary>
    public static double? PeakRssMiB() => ReadKb("VmHWM:") / 1024.0;

    /// <summary>
    /// Starts a new peak: writing 5 to <c>/proc/self/clear_refs</c> resets VmHWM to the current RSS
    /// (Linux ≥ 4.0), so one phase of a run can be measured on its own. False where unsupported.
    /// </summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Current resident set size in MiB (VmRSS).</summary>
    public static double? CurrentRssMiB() => ReadKb("VmRSS:") / 1024.0;

    /// <summary>File-backed part of the RSS in MiB (RssFile): mapped code and data files, e.g. LibTorch's.</summary>
    public static double? FileBackedRssMiB() => ReadKb("RssFile:") / 1024.0;

    /// <summary>Anonymous part of the RSS in MiB (RssAnon): heaps, stacks, the GC's memory.</summary>
    public static double? AnonymousRssMiB() => ReadKb("RssAnon:") / 1024.0;

    private static double? ReadKb(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return double.TryParse(parts[0], out var kb) ? kb : null;
        }
        return null;
    }
}
