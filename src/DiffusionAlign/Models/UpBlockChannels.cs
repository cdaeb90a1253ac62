using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>The channel bookkeeping shared by <see cref="UpBlock2D"/> and <see cref="CrossAttnUpBlock2D"/>.</summary>
internal static class UpBlockChannels
{
    /// <summary>
    /// Input channels of resnet <paramref name="index"/> of an up block: the hidden state (the block
    /// below's output for the first resnet, this block's width after) plus the skip it concatenates
    /// (the skip from the next-shallower down block for the last resnet, this block's width otherwise).
    /// </summary>
    public static int ResnetInput(int index, int layers, int inChannels, int prevOutputChannels, int outChannels)
    {
        var skipChannels = index == layers - 1 ? inChannels : outChannels;
        var hiddenChannels = index == 0 ? prevOutputChannels : outChannels;
        return hiddenChannels + skipChannels;
    }

    public static void CheckSkipCount(IReadOnlyList<Tensor> skips, int expected)
    {
        if (skips.Count != expected)
            throw new ArgumentException(
                $"an up block with {expected} resnets needs {expected} skip connections, got {skips.Count}",
                nameof(skips));
    }
}
