namespace DiffusionAlign.Tests.Reliability;

/// <summary>The pristine copy a folder-shaped case starts from, restored before each damage.</summary>
public static class FuzzFolders
{
    /// <summary>Makes <paramref name="to"/> an exact copy of <paramref name="from"/>, with nothing else left.</summary>
    public static void Restore(string from, string to)
    {
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }

    /// <summary>The bytes of every file under <paramref name="folder"/>: what a reader of it may allocate.</summary>
    public static long Bytes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
