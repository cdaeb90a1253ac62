using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>UNetMidBlock2D</c> as the VAE uses it: resnet → self-attention → resnet, without time.
/// </summary>
public sealed class UNetMidBlock2D : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<VaeAttention> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;

    public UNetMidBlock2D(int channels, VaeSettings vae, Device? device = null)
        : base(nameof(UNetMidBlock2D))
    {
        attentions = nn.ModuleList(new VaeAttention(channels, vae.Groups, VaeSettings.Eps, device));
        resnets = nn.ModuleList(vae.Resnet(channels, channels, device), vae.Resnet(channels, channels, device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        hidden = resnets[0].forward(hidden);
        for (int i = 0; i < attentions.Count; i++)
            hidden = resnets[i + 1].forward(attentions[i].forward(hidden));
        return hidden;
    }
}
