using System.Runtime.InteropServices;

namespace DiffusionAlign.Runtime;

/// <summary>
/// glibc malloc settings for LibTorch's CPU tensors. By default glibc raises its mmap threshold
/// to the largest block freed so far (up to 32 MiB), after which freed activation buffers stay in
/// the heap for reuse and the process's RSS never shrinks. A fixed threshold makes every large
/// tensor its own mapping, returned to the system when freed; the benchmark measures what that
/// costs in time and saves in peak RSS. No-ops (returning false) off glibc.
/// </summary>
public static class NativeAllocator
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in malloc.h

    /// <summary>glibc's largest dynamic threshold on 64-bit: what the default drifts to once big blocks are freed.</summary>
    public const int GlibcDynamicCeilingBytes = 32 << 20;

    /// <summary>Blocks of at least this size get their own mapping when <see cref="UseMmapThreshold"/> is called with it.</summary>
    public const int SmallThresholdBytes = 64 << 10;

    /// <summary>Fixes glibc's mmap threshold (which also stops it from drifting upward).</summary>
    public static bool UseMmapThreshold(int bytes) => Call(() => mallopt(MmapThreshold, bytes) == 1);

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
