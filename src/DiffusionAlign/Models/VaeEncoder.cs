using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' VAE <c>Encoder</c>: <c>conv_in</c> → down blocks (each but the last halves the side) →
/// middle block → GroupNorm → activation → <c>conv_out</c> to 2 × latent channels (mean and log-variance).
/// </summary>
public sealed class VaeEncoder : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Conv2d conv_in;
    private readonly ModuleList<DownEncoderBlock2D> down_blocks;
    private readonly UNetMidBlock2D mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
    private readonly Func<Tensor, Tensor> nonlinearity;

    public VaeEncoder(AutoencoderKLConfig config, Device? device = null)
        : base(nameof(VaeEncoder))
    {
        var vae = new VaeSettings(config.NormNumGroups, config.ActFn);
        var channels = config.BlockOutChannels;
        conv_in = nn.Conv2d(config.InChannels, channels[0], 3, padding: 1, device: device);
        down_blocks = nn.ModuleList(Enumerable.Range(0, channels.Count)
            .Select(i => new DownEncoderBlock2D(i == 0 ? channels[0] : channels[i - 1], channels[i],
                config.LayersPerBlock, addDownsample: i < channels.Count - 1, vae, device))
            .ToArray());
        mid_block = new UNetMidBlock2D(channels[^1], vae, device);
        conv_norm_out = GroupNorms.Create(config.NormNumGroups, channels[^1], VaeSettings.Eps, device);
        conv_out = nn.Conv2d(channels[^1], 2 * config.LatentChannels, 3, padding: 1, device: device);
        nonlinearity = Activation.Get(config.ActFn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor image)
    {
        using var scope = NewDisposeScope();
        var hidden = conv_in.forward(image);
        foreach (var block in down_blocks) hidden = block.forward(hidden);
        hidden = mid_block.forward(hidden);
        return conv_out.forward(nonlinearity(conv_norm_out.forward(hidden))).MoveToOuterDisposeScope();
    }
}
