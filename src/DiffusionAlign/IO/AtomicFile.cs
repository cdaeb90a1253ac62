namespace DiffusionAlign.IO;

/// <summary>
/// Writes a file so that readers (and a crash) see either the old file or the complete new one:
/// the content goes to a temporary file in the same folder, is flushed to disk, then renamed over the target,
/// and the folder's entry is flushed too.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a temporary file and moves it to <paramref name="path"/> only if it returns.
    /// </summary>
    public static void Write(string path, Action<FileStream> write)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(
                temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
            DirectorySync.Flush(directory);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Leave it; the original exception matters more than a stray temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
