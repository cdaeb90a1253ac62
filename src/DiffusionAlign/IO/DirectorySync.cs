using System.Runtime.InteropServices;

namespace DiffusionAlign.IO;

/// <summary>
/// Flushes a directory's entries to disk (POSIX <c>fsync</c> on the directory), so a rename that published a
/// file survives a power loss, not only a process crash. .NET has no API for it (a directory cannot be opened
/// as a FileStream), hence the two libc calls; elsewhere than Linux it does nothing.
/// </summary>
public static class DirectorySync
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(directory, ReadOnly | Directory);
        if (fd < 0) return; // Nothing to flush we can reach; the data itself was already flushed.
        try
        {
            Fsync(fd);
        }
        finally
        {
            Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
