using System.Text.Json.Serialization;

namespace DiffusionAlign.Bench.Machine;

/// <summary>
/// glibc malloc's totals over all arenas (<c>mallinfo2</c>), in MiB: what the heap holds from the
/// system, how much of it is allocated, and what is mapped separately (large blocks with mmap on).
/// </summary>
public sealed record HeapStatistics(
    [property: JsonPropertyName("heap_mib")] double HeapMiB,
    [property: JsonPropertyName("in_use_mib")] double InUseMiB,
    [property: JsonPropertyName("free_in_heap_mib")] double FreeInHeapMiB,
    [property: JsonPropertyName("mmapped_mib")] double MmappedMiB);
