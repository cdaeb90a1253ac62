using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' VAE <c>Decoder</c>: <c>conv_in</c> from the latent channels → middle block → up blocks
/// (widths reversed, one more resnet per block than the encoder, each but the last doubling the side) →
/// GroupNorm → activation → <c>conv_out</c> to image channels.
/// </summary>
public sealed class VaeDecoder : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Conv2d conv_in;
    private readonly UNetMidBlock2D mid_block;
    private readonly ModuleList<UpDecoderBlock2D> up_blocks;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
    private readonly Func<Tensor, Tensor> nonlinearity;

    public VaeDecoder(AutoencoderKLConfig config, Device? device = null)
        : base(nameof(VaeDecoder))
    {
        var vae = new VaeSettings(config.NormNumGroups, config.ActFn);
        var reversed = config.BlockOutChannels.Reverse().ToArray();
        conv_in = nn.Conv2d(config.LatentChannels, reversed[0], 3, padding: 1, device: device);
        mid_block = new UNetMidBlock2D(reversed[0], vae, device);
        up_blocks = nn.ModuleList(Enumerable.Range(0, reversed.Length)
            .Select(i => new UpDecoderBlock2D(i == 0 ? reversed[0] : reversed[i - 1], reversed[i],
                config.LayersPerBlock + 1, addUpsample: i < reversed.Length - 1, vae, device))
            .ToArray());
        conv_norm_out = GroupNorms.Create(config.NormNumGroups, reversed[^1], VaeSettings.Eps, device);
        conv_out = nn.Conv2d(reversed[^1], config.OutChannels, 3, padding: 1, device: device);
        nonlinearity = Activation.Get(config.ActFn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor latent)
    {
        using var scope = NewDisposeScope();
        var hidden = mid_block.forward(conv_in.forward(latent));
        foreach (var block in up_blocks) hidden = block.forward(hidden);
        return conv_out.forward(nonlinearity(conv_norm_out.forward(hidden))).MoveToOuterDisposeScope();
    }
}
