using DiffusionAlign.Bench.Machine;

namespace DiffusionAlign.Bench.Tests.Machine;

public sealed class ProcessMemoryTests
{
    [Fact]
    public void ResettingThePeakForgetsMemoryAlreadyReturned()
    {
        if (!OperatingSystem.IsLinux()) return;
        // 256 MiB touched page by page, then returned to the OS: the peak must include it until reset.
        const int size = 256 << 20;
        var block = System.Runtime.InteropServices.Marshal.AllocHGlobal(size);
        for (int i = 0; i < size; i += 4096) System.Runtime.InteropServices.Marshal.WriteByte(block, i, 1);
        double withBlock = ProcessMemory.CurrentRssMiB()!.Value;
        System.Runtime.InteropServices.Marshal.FreeHGlobal(block);
        double peakBefore = ProcessMemory.PeakRssMiB()!.Value;
        Assert.True(peakBefore >= withBlock - 16,
            $"peak {peakBefore:F0} MiB below the RSS {withBlock:F0} MiB seen with the block");

        Assert.True(ProcessMemory.ResetPeak());
        double peakAfter = ProcessMemory.PeakRssMiB()!.Value;

        Assert.True(peakAfter < withBlock - 128,
            $"peak after reset {peakAfter:F0} MiB, with the block {withBlock:F0} MiB");
    }
}
