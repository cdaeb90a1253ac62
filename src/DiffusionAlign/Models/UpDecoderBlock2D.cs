using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>UpDecoderBlock2D</c> (the VAE decoder's): resnets without time, then an optional upsampler.
/// </summary>
public sealed class UpDecoderBlock2D : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;

    public UpDecoderBlock2D(int inChannels, int outChannels, int layers, bool addUpsample, VaeSettings vae,
        Device? device = null)
        : base(nameof(UpDecoderBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(i => vae.Resnet(i == 0 ? inChannels : outChannels, outChannels, device))
            .ToArray());
        if (addUpsample) upsamplers = nn.ModuleList(new Upsample2D(outChannels, device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        foreach (var resnet in resnets) hidden = resnet.forward(hidden);
        if (upsamplers is not null)
            foreach (var upsampler in upsamplers) hidden = upsampler.forward(hidden, null);
        return hidden;
    }
}
