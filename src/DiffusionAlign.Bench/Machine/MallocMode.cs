namespace DiffusionAlign.Bench.Machine;

/// <summary>
/// How glibc malloc treats the large blocks LibTorch's CPU tensors live in (see <see cref="NativeAllocator"/>).
/// glibc's own adaptive behaviour is not a mode: mallopt cannot restore it once a mode is set.
/// </summary>
public enum MallocMode
{
    /// <summary>
    /// No mmap and no trimming: a freed tensor's memory stays in the heap and the next step's
    /// tensors reuse it without page faults. The fastest for training loops; RSS stays at its peak.
    /// </summary>
    ReuseFreedMemory,

    /// <summary>
    /// Blocks from 64 KiB up get their own mapping and go back to the system when freed: lowest RSS, most page
    /// faults.
    /// </summary>
    ReturnFreedMemory,
}
