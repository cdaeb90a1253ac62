using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>DownEncoderBlock2D</c> (the VAE encoder's): resnets without time, then an optional
/// downsampler.
/// </summary>
public sealed class DownEncoderBlock2D : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;

    public DownEncoderBlock2D(int inChannels, int outChannels, int layers, bool addDownsample, VaeSettings vae,
        Device? device = null)
        : base(nameof(DownEncoderBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(i => vae.Resnet(i == 0 ? inChannels : outChannels, outChannels, device))
            .ToArray());
        // The VAE's downsamplers pad one pixel right and bottom (downsample_padding 0).
        if (addDownsample) downsamplers = nn.ModuleList(new Downsample2D(outChannels, padding: 0, device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        foreach (var resnet in resnets) hidden = resnet.forward(hidden);
        if (downsamplers is not null)
            foreach (var downsampler in downsamplers) hidden = downsampler.forward(hidden);
        return hidden;
    }
}
