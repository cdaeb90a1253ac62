namespace DiffusionAlign.Cli;

/// <summary>
/// Checks an output path before a command does any work, so a mistyped --out fails in a second rather than
/// after the sampling or training it was meant to keep: a file is not asked for where a folder exists (and the
/// other way round), and the nearest existing folder takes new files. Nothing is created.
/// </summary>
public static class OutputPath
{
    /// <summary>A file to write, e.g. <c>sample --out grid.png</c>; <paramref name="example"/> names one.</summary>
    public static void CheckFile(string? path, string example, string flag = "--out")
    {
        path = NotBlank(path, flag);
        if (Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
            throw new DiffusionAlignException(
                $"{flag} {path} is a folder; give the file to write, e.g. {Path.Combine(path, example)}");
        if (File.Exists(path))
        {
            // Opened for writing without truncating: a read-only file fails now, an old result stays intact.
            Try($"{flag} {path} is not writable",
                () => new FileStream(path, FileMode.Open, FileAccess.Write).Dispose());
            return;
        }
        CheckCreatable(path, flag);
    }

    /// <summary>A folder to write into (created if missing), e.g. <c>align --out run/</c>.</summary>
    public static void CheckFolder(string? path, string flag = "--out")
    {
        path = NotBlank(path, flag);
        if (File.Exists(path))
            throw new DiffusionAlignException($"{flag} {path} is a file; give a folder to write into");
        CheckCreatable(path, flag);
    }

    private static string NotBlank(string? path, string flag) =>
        string.IsNullOrWhiteSpace(path) ? throw new DiffusionAlignException($"{flag} is empty") : path;

    /// <summary>The nearest existing ancestor (or the folder itself) is a folder we can create files in.</summary>
    private static void CheckCreatable(string path, string flag)
    {
        string full = Path.GetFullPath(path);
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing) && !File.Exists(existing))
            existing = Path.GetDirectoryName(existing);
        if (existing is null) return;
        if (File.Exists(existing))
            throw new DiffusionAlignException($"{flag} {path}: {existing} is a file, not a folder");
        string probe = Path.Combine(existing, $".dalign-write-test-{Guid.NewGuid():N}");
        Try($"{flag} {path}: cannot create files in {existing}", () =>
            new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)
                .Dispose());
    }

    private static void Try(string problem, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiffusionAlignException(problem, e);
        }
    }
}
