namespace DiffusionAlign.Runtime;

/// <summary>How glibc malloc treats the large blocks LibTorch's CPU tensors live in (see <see cref="NativeAllocator"/>).</summary>
public enum MallocMode
{
    /// <summary>
    /// No mmap and no trimming: a freed tensor's memory stays in the heap and the next step's
    /// tensors reuse it without page faults. The fastest for training loops; RSS stays at its peak.
    /// </summary>
    ReuseFreedMemory,

    /// <summary>
    /// An approximation of glibc's steady state (which mallopt cannot restore once changed): blocks
    /// above 32 MiB get their own mapping, the heap top is trimmed beyond 64 MiB free.
    /// </summary>
    GlibcDefault,

    /// <summary>Blocks from 64 KiB up get their own mapping and go back to the system when freed: lowest RSS, most page faults.</summary>
    ReturnFreedMemory,
}
