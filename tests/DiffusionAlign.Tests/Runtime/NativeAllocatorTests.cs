using DiffusionAlign.Runtime;

namespace DiffusionAlign.Tests.Runtime;

public sealed class NativeAllocatorTests
{
    [Fact]
    public void EveryModeIsAcceptedByGlibc()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            foreach (var mode in Enum.GetValues<MallocMode>()) Assert.True(NativeAllocator.Use(mode), $"mallopt refused {mode}");
            Assert.True(NativeAllocator.Trim());
        }
        finally
        {
            NativeAllocator.Use(MallocMode.ReuseFreedMemory); // dalign's own mode
        }
    }
}
