using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>Downsample2D</c> with a convolution: a 3x3 <c>conv</c> of stride 2 that halves height
/// and width. With <c>downsample_padding</c> 0 it pads one pixel right and bottom first, as diffusers does.
/// </summary>
public sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Conv2d conv;
    private readonly bool padRightBottom;

    public Downsample2D(int channels, int padding, Device? device = null)
        : base(nameof(Downsample2D))
    {
        conv = nn.Conv2d(channels, channels, 3, stride: 2, padding: padding, device: device);
        padRightBottom = padding == 0;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) =>
        conv.forward(padRightBottom ? nn.functional.pad(input, [0, 1, 0, 1]) : input);
}
