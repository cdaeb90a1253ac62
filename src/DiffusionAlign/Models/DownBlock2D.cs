using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>diffusers' <c>DownBlock2D</c>: resnets only, then an optional downsampler.</summary>
public sealed class DownBlock2D : UNetDownBlock
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;

    public DownBlock2D(int inChannels, int outChannels, int layers, bool addDownsample, int downsamplePadding,
        ResnetSettings resnet, Device? device = null)
        : base(nameof(DownBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(i => resnet.CreateResnet(i == 0 ? inChannels : outChannels, outChannels, device))
            .ToArray());
        if (addDownsample) downsamplers = nn.ModuleList(new Downsample2D(outChannels, downsamplePadding, device));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count + (downsamplers is null ? 0 : 1);

    public override (Tensor Hidden, IReadOnlyList<Tensor> Skips) forward(Tensor hidden, Tensor temb, Tensor context)
    {
        var skips = new List<Tensor>(SkipCount);
        foreach (var resnet in resnets)
        {
            hidden = resnet.forward(hidden, temb);
            skips.Add(hidden);
        }

        if (downsamplers is not null)
        {
            foreach (var downsampler in downsamplers) hidden = downsampler.forward(hidden);
            skips.Add(hidden);
        }

        return (hidden, skips);
    }
}
