using TorchSharp.Modules;

namespace DiffusionAlign.Models.Analysis;

/// <summary>
/// Analytic multiply-add FLOPs (2 per MAC) of one UNet forward for one image: every convolution
/// (2·C_out·(C_in/groups)·k_h·k_w per output pixel), every linear layer (2·in·out per token) and
/// the attention matmuls QKᵀ and AV (2·2·L_q·L_k·inner). The resolution and token count of each
/// layer follow from its diffusers name (<see cref="UNetLayerGeometry"/>), so no hook or trace is
/// needed. Norms, activations, LoRA adapters (2·r·(in+out) per token, under 1% at small ranks) and the
/// text encoder are left out (a few per cent).
/// </summary>
public static class FlopCounter
{
    /// <summary>FLOPs of one forward for one image.</summary>
    /// <param name="unet">The UNet (a META-device one will do: only shapes are read).</param>
    /// <param name="textTokens">Length of the prompt states cross-attention reads.</param>
    /// <param name="sampleSize">
    /// The input's side (the latents' for a latent model); null: the config's <c>sample_size</c>.
    /// </param>
    public static double UNetForward(UNet2DConditionModel unet, int textTokens, int? sampleSize = null)
    {
        var config = unet.Config;
        double flops = 0;
        foreach (var (name, module, pixels) in UNetLayerGeometry.Layers(unet, "FLOP count", sampleSize))
        {
            switch (module)
            {
                case Conv2d conv:
                    var w = conv.weight!.shape;
                    flops += 2.0 * pixels * w[0] * w[1] * w[2] * w[3];
                    break;
                case Linear linear:
                    long tokens = UNetLayerGeometry.ActsOncePerImage(name) ? 1
                        : (name.EndsWith(".to_k", StringComparison.Ordinal)
                                || name.EndsWith(".to_v", StringComparison.Ordinal))
                            && UNetLayerGeometry.AttendsToPrompt(name[..name.LastIndexOf('.')], config) ? textTokens
                        : pixels;
                    flops += 2.0 * tokens * linear.weight!.shape[0] * linear.weight!.shape[1];
                    break;
                case Attention attention:
                    long keys = UNetLayerGeometry.AttendsToPrompt(name, config) ? textTokens : pixels;
                    flops += 2.0 * 2.0 * pixels * keys * attention.Heads * attention.HeadDim;
                    break;
            }
        }
        return flops;
    }
}
