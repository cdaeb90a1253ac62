using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>UpBlock2D</c>: resnets over [hidden ; skip] concatenations, then an optional upsampler.
/// Resnet <c>i</c> takes <c>prev_output</c> (i = 0) or <c>out</c> channels plus the skip's channels:
/// <c>in</c> for the last resnet, <c>out</c> for the others.
/// </summary>
public sealed class UpBlock2D : UNetUpBlock
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;

    public UpBlock2D(int inChannels, int prevOutputChannels, int outChannels, int layers, bool addUpsample,
        ResnetSettings resnet, Device? device = null)
        : base(nameof(UpBlock2D))
    {
        resnets = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(i => resnet.CreateResnet(
                UpBlockChannels.ResnetInput(i, layers, inChannels, prevOutputChannels, outChannels),
                outChannels, device))
            .ToArray());
        if (addUpsample) upsamplers = nn.ModuleList(new Upsample2D(outChannels, device));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count;

    public override Tensor forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, Tensor context,
        long[]? upsampleSize)
    {
        UpBlockChannels.CheckSkipCount(skips, SkipCount);
        for (var i = 0; i < resnets.Count; i++)
        {
            hidden = torch.cat([hidden, skips[skips.Count - 1 - i]], dim: 1);
            hidden = resnets[i].forward(hidden, temb);
        }

        if (upsamplers is not null)
            foreach (var upsampler in upsamplers) hidden = upsampler.forward(hidden, upsampleSize);
        return hidden;
    }
}
