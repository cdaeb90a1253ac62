using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// Channels-last (NHWC) strides for 4-d tensors. TorchSharp 0.107 has the <c>memory_format</c>
/// enum but no <c>contiguous(memory_format)</c>; permute → contiguous → permute back gives the
/// same strides PyTorch's <c>channels_last</c> does, and LibTorch's oneDNN convolutions pick their
/// NHWC path from the strides.
/// </summary>
public static class MemoryLayout
{
    public static Tensor ToChannelsLast(Tensor x) =>
        x.dim() == 4 && !IsChannelsLast(x) ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : x;

    /// <summary>True when the channel axis has stride 1 (NHWC in memory).</summary>
    public static bool IsChannelsLast(Tensor x) =>
        x.dim() == 4 && x.stride(1) == 1 && x.stride(3) == x.shape[1] && x.stride(2) == x.shape[1] * x.shape[3];
}
