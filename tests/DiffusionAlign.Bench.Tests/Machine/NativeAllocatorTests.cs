using DiffusionAlign.Bench.Machine;

namespace DiffusionAlign.Bench.Tests.Machine;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void HeapStatisticsReadMallocsOwnTotals()
    {
        if (!OperatingSystem.IsLinux()) return;
        var before = NativeAllocator.HeapStatistics();
        Assert.NotNull(before);
        // mallinfo2's arena is exactly its allocated plus free bytes: a wrong field order breaks this.
        Assert.Equal(before.HeapMiB, before.InUseMiB + before.FreeInHeapMiB, 6);
        const int size = 256 << 20;
        IntPtr block = System.Runtime.InteropServices.Marshal.AllocHGlobal(size); // malloc
        try
        {
            var after = NativeAllocator.HeapStatistics()!;
            // Tests run in parallel and may free memory meanwhile, hence half the block.
            Assert.True(after.InUseMiB + after.MmappedMiB - (before.InUseMiB + before.MmappedMiB) > 128,
                $"a 256 MiB malloc should show: before {before}, after {after}");
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(block);
        }
    }

    [Fact]
    public void EveryModeIsAcceptedByGlibc()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            foreach (var mode in Enum.GetValues<MallocMode>())
                Assert.True(NativeAllocator.Use(mode), $"mallopt refused {mode}");
            Assert.True(NativeAllocator.Trim());
        }
        finally
        {
            NativeAllocator.Use(MallocMode.ReuseFreedMemory); // dalign's own mode
        }
    }
}
