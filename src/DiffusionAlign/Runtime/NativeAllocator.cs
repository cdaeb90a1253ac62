using System.Runtime.InteropServices;

namespace DiffusionAlign.Runtime;

/// <summary>
/// glibc malloc settings for LibTorch's CPU tensors (LibTorch allocates them with plain
/// posix_memalign, no caching allocator). With glibc's defaults, tensors above the mmap threshold
/// get a fresh mapping each time, so every step pays page faults (the kernel zeroes every page)
/// for its big activations; at 64×64 images and 64 pairs that made a DSPO step 3× slower
/// (`dalign bench`'s sweep). <see cref="MallocMode.ReuseFreedMemory"/> keeps freed memory for reuse.
/// No-ops (returning false) off glibc.
/// </summary>
public static class NativeAllocator
{
    // Parameter numbers from glibc's malloc.h.
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MMmapMax = -4;
    private const int GlibcMmapMaxDefault = 65536;

    /// <summary>Environment variable that, set to <c>glibc</c>, keeps glibc's own settings in <c>dalign</c>.</summary>
    public const string EnvironmentVariable = "DALIGN_MALLOC";

    public static bool Use(MallocMode mode) => Call(() => mode switch
    {
        MallocMode.ReuseFreedMemory => mallopt(MMmapMax, 0) == 1 && mallopt(MTrimThreshold, int.MaxValue) == 1,
        MallocMode.GlibcDefault => mallopt(MMmapMax, GlibcMmapMaxDefault) == 1 && mallopt(MMmapThreshold, 32 << 20) == 1 && mallopt(MTrimThreshold, 64 << 20) == 1,
        _ => mallopt(MMmapMax, GlibcMmapMaxDefault) == 1 && mallopt(MMmapThreshold, 64 << 10) == 1 && mallopt(MTrimThreshold, 128 << 10) == 1,
    });

    /// <summary>
    /// What <c>dalign</c> does at start: <see cref="MallocMode.ReuseFreedMemory"/>, unless
    /// <see cref="EnvironmentVariable"/> is <c>glibc</c> (then glibc's defaults and its own
    /// <c>MALLOC_*_</c> variables rule). Returns the mode in force, or null for glibc's own.
    /// </summary>
    public static MallocMode? ConfigureFromEnvironment()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "glibc", StringComparison.OrdinalIgnoreCase)) return null;
        return Use(MallocMode.ReuseFreedMemory) ? MallocMode.ReuseFreedMemory : null;
    }

    /// <summary>Returns free heap pages to the system (malloc_trim(0)), e.g. before measuring a peak.</summary>
    public static bool Trim() => Call(() =>
    {
        malloc_trim(0);
        return true;
    });

    private static bool Call(Func<bool> action)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return action();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl or another libc without these entry points
        }
    }

    // DllImport, not LibraryImport: the source-generated form needs unsafe code, and these
    // signatures are blittable, so the runtime marshals nothing.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
