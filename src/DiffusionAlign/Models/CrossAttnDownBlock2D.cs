using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>CrossAttnDownBlock2D</c>: (resnet → transformer) pairs, then an optional downsampler.
/// The transformers are where the prompt enters the UNet.
/// </summary>
public sealed class CrossAttnDownBlock2D : UNetDownBlock
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D>? downsamplers;

    public CrossAttnDownBlock2D(
        int inChannels,
        int outChannels,
        int layers,
        bool addDownsample,
        int downsamplePadding,
        ResnetSettings resnet,
        CrossAttentionSettings attention,
        Device? device = null)
        : base(nameof(CrossAttnDownBlock2D))
    {
        var resnetList = new List<ResnetBlock2D>();
        var attentionList = new List<Transformer2DModel>();
        for (var i = 0; i < layers; i++)
        {
            resnetList.Add(resnet.CreateResnet(i == 0 ? inChannels : outChannels, outChannels, device));
            attentionList.Add(attention.CreateTransformer(outChannels, resnet, device));
        }

        attentions = nn.ModuleList(attentionList.ToArray());
        resnets = nn.ModuleList(resnetList.ToArray());
        if (addDownsample) downsamplers = nn.ModuleList(new Downsample2D(outChannels, downsamplePadding, device));
        RegisterComponents();
    }

    public override int SkipCount => resnets.Count + (downsamplers is null ? 0 : 1);

    public override (Tensor Hidden, IReadOnlyList<Tensor> Skips) forward(Tensor hidden, Tensor temb, Tensor context)
    {
        var skips = new List<Tensor>(SkipCount);
        for (var i = 0; i < resnets.Count; i++)
        {
            hidden = resnets[i].forward(hidden, temb);
            hidden = attentions[i].forward(hidden, context);
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
