using DiffusionAlign.Models;

namespace DiffusionAlign.Tests.Models;

public sealed class ChannelsLastTests
{
    [Fact]
    public void ChannelsLastRestridesEveryKernelWeightAndCanBeUndone()
    {
        using var model = TestModels.Micro(seed: 2);
        var convs = model.Unet.modules().OfType<TorchSharp.Modules.Conv2d>()
            .Where(c => c.weight!.shape[2] > 1).ToList();
        Assert.NotEmpty(convs);

        model.Unet.UseChannelsLast(true);
        Assert.All(convs, c => Assert.True(MemoryLayout.IsChannelsLast(c.weight!)));

        model.Unet.UseChannelsLast(false);
        Assert.All(convs, c => Assert.True(c.weight!.is_contiguous()));
    }
}
