using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>CrossAttnUpBlock2D</c>: (concatenate skip → resnet → transformer) per layer, then an
/// optional upsampler. Channel bookkeeping as in <see cref="UpBlock2D"/>.
/// </summary>
public sealed class CrossAttnUpBlock2D : UNetUpBlock
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Upsample2D>? upsamplers;

    public CrossAttnUpBlock2D(
        int inChannels,
        int prevOutputChannels,
        int outChannels,
        int layers,
        bool addUpsample,
        ResnetSettings resnet,
        CrossAttentionSettings attention,
        Device? device = null)
        : base(nameof(CrossAttnUpBlock2D))
    {
        var resnetList = new List<ResnetBlock2D>();
        var attentionList = new List<Transformer2DModel>();
        for (var i = 0; i < layers; i++)
        {
            resnetList.Add(resnet.CreateResnet(
                UpBlockChannels.ResnetInput(i, layers, inChannels, prevOutputChannels, outChannels),
                outChannels, device));
            attentionList.Add(attention.CreateTransformer(outChannels, resnet, device));
        }

        attentions = nn.ModuleList(attentionList.ToArray());
        resnets = nn.ModuleList(resnetList.ToArray());
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
            hidden = attentions[i].forward(hidden, context);
        }

        if (upsamplers is not null)
            foreach (var upsampler in upsamplers) hidden = upsampler.forward(hidden, upsampleSize);
        return hidden;
    }
}
