using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>UNetMidBlock2DCrossAttn</c> (<c>mid_block</c>) at the lowest resolution:
/// resnet → (transformer → resnet) per layer, keeping the channel count.
/// </summary>
public sealed class UNetMidBlock2DCrossAttn : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2DCrossAttn(int channels, ResnetSettings resnet, CrossAttentionSettings attention,
        int layers = 1, Device? device = null)
        : base(nameof(UNetMidBlock2DCrossAttn))
    {
        var resnetList = new List<ResnetBlock2D> { resnet.CreateResnet(channels, channels, device) };
        var attentionList = new List<Transformer2DModel>();
        for (var i = 0; i < layers; i++)
        {
            // diffusers never passes only_cross_attention to the middle block's transformers.
            attentionList.Add(
                (attention with { OnlyCrossAttention = false }).CreateTransformer(channels, resnet, device));
            resnetList.Add(resnet.CreateResnet(channels, channels, device));
        }

        attentions = nn.ModuleList(attentionList.ToArray());
        resnets = nn.ModuleList(resnetList.ToArray());
        RegisterComponents();
    }

    /// <summary>Maps <c>[B, C, H, W]</c>, time embedding and prompt to <c>[B, C, H, W]</c>.</summary>
    public override Tensor forward(Tensor hidden, Tensor temb, Tensor context)
    {
        hidden = resnets[0].forward(hidden, temb);
        for (var i = 0; i < attentions.Count; i++)
        {
            hidden = attentions[i].forward(hidden, context);
            hidden = resnets[i + 1].forward(hidden, temb);
        }

        return hidden;
    }
}
