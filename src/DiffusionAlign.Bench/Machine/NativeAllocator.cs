using System.Runtime.InteropServices;

namespace DiffusionAlign.Bench.Machine;

/// <summary>
/// glibc malloc settings for LibTorch's CPU tensors (LibTorch allocates them with plain
/// posix_memalign, no caching allocator). With glibc's adaptive defaults, tensors above its mmap
/// ceiling (32 MiB) are mapped afresh, page fault by page fault, at every allocation: on a 2-core
/// EPYC, at 64×64 images and 64 pairs a DSPO step takes 15.1–16.8 s, against 6.8–8.5 s with mmap
/// off and freed memory reused (the allocator section of <c>dalign bench</c>), for ~10–20% more
/// peak RSS. A fixed 64 KiB threshold takes anywhere from 9.3 to 16.3 s (mostly 14.7–16.3 s), so
/// it is not the default.
/// <c>dalign</c> therefore uses <see cref="MallocMode.ReuseFreedMemory"/>. No-ops (returning false) off glibc.
/// </summary>
public static class NativeAllocator
{
    // Parameter numbers from glibc's malloc.h.
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MMmapMax = -4;
    private const int GlibcMmapMaxDefault = 65536;

    /// <summary>
    /// Environment variable selecting <c>dalign</c>'s mode: <c>reuse</c> (default), <c>return</c>, <c>glibc</c>.
    /// </summary>
    public const string EnvironmentVariable = "DALIGN_MALLOC";

    public static bool Use(MallocMode mode) => Call(() => mode switch
    {
        MallocMode.ReuseFreedMemory => mallopt(MMmapMax, 0) == 1 && mallopt(MTrimThreshold, int.MaxValue) == 1,
        _ => mallopt(MMmapMax, GlibcMmapMaxDefault) == 1 && mallopt(MMmapThreshold, 64 << 10) == 1
            && mallopt(MTrimThreshold, 128 << 10) == 1,
    });

    /// <summary>
    /// The mode <c>dalign</c> runs with: <see cref="MallocMode.ReuseFreedMemory"/>, or what
    /// <see cref="EnvironmentVariable"/> says (<c>glibc</c>: null, glibc's own adaptive defaults;
    /// <c>return</c>: <see cref="MallocMode.ReturnFreedMemory"/>).
    /// </summary>
    /// <exception cref="DiffusionAlignException">Any other value of the variable.</exception>
    public static MallocMode? DalignDefault() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "reuse" => MallocMode.ReuseFreedMemory,
            "return" => MallocMode.ReturnFreedMemory,
            "glibc" => null,
            var other => throw new DiffusionAlignException(
                $"{EnvironmentVariable} must be reuse, return or glibc, got '{other}'"),
        };

    /// <summary>
    /// Applies <see cref="DalignDefault"/>; returns the mode set, or null when glibc's defaults stay.
    /// </summary>
    public static MallocMode? ConfigureFromEnvironment() => DalignDefault() is { } mode && Use(mode) ? mode : null;

    /// <summary>Returns free heap pages to the system (malloc_trim(0)), e.g. before measuring a peak.</summary>
    public static bool Trim() => Call(() =>
    {
        malloc_trim(0);
        return true;
    });

    /// <summary>malloc's current totals (<c>mallinfo2</c>, glibc ≥ 2.33); null elsewhere.</summary>
    public static HeapStatistics? HeapStatistics() => Call<HeapStatistics?>(() =>
    {
        var info = mallinfo2();
        const double mib = 1024.0 * 1024.0;
        return new HeapStatistics(info.Arena / mib, info.Uordblks / mib, info.Fordblks / mib, info.Hblkhd / mib);
    }, orElse: null);

    private static bool Call(Func<bool> action) => Call(action, orElse: false);

    /// <summary>
    /// Runs a glibc call, or gives <paramref name="orElse"/> off Linux and on a libc without the entry point
    /// (musl).
    /// </summary>
    private static T Call<T>(Func<T> action, T orElse)
    {
        if (!OperatingSystem.IsLinux()) return orElse;
        try
        {
            return action();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return orElse;
        }
    }

    // DllImport, not LibraryImport: the source-generated form needs unsafe code, and these
    // signatures are blittable, so the runtime marshals nothing.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    // struct mallinfo2 from glibc's malloc.h: ten size_t fields, in this order.
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallInfo2
    {
        public readonly nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 mallinfo2();
}
