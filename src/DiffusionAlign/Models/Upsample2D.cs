using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>Upsample2D</c> with a convolution: nearest-neighbour upsampling (x2, or to an explicit
/// size when the skip connection's size is odd) followed by a 3x3 <c>conv</c>.
/// </summary>
public sealed class Upsample2D : nn.Module<Tensor, long[]?, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Conv2d conv;

    public Upsample2D(int channels, Device? device = null)
        : base(nameof(Upsample2D))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1, device: device);
        RegisterComponents();
    }

    /// <summary>
    /// Upsamples <c>[B, C, H, W]</c> to <paramref name="outputSize"/> (height, width), or to 2H x 2W when null.
    /// </summary>
    public override Tensor forward(Tensor input, long[]? outputSize)
    {
        var upsampled = outputSize is null
            ? nn.functional.interpolate(input, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(input, size: outputSize, mode: InterpolationMode.Nearest);
        return conv.forward(upsampled);
    }
}
