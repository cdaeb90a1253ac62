using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>Creates affine GroupNorm layers initialised as PyTorch does (weight 1, bias 0).</summary>
internal static class GroupNorms
{
    public static GroupNorm Create(int groups, int channels, double eps, Device? device)
    {
        // TorchSharp 0.107's nn.GroupNorm allocates weight and bias with torch.empty and never
        // initialises them, so a fresh model would start from whatever memory held.
        var norm = nn.GroupNorm(groups, channels, eps, affine: true, device: device);
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using (var one = 1.0.ToScalar())
        using (torch.no_grad())
        {
            norm.weight.fill_(one);
            norm.bias!.zero_();
        }

        return norm;
    }
}
