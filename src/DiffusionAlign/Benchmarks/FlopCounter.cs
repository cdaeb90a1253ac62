using System.Globalization;
using DiffusionAlign.Models;
using TorchSharp.Modules;

namespace DiffusionAlign.Benchmarks;

/// <summary>
/// Analytic multiply-add FLOPs (2 per MAC) of one UNet forward for one image: every convolution
/// (2·C_out·(C_in/groups)·k_h·k_w per output pixel), every linear layer (2·in·out per token) and
/// the attention matmuls QKᵀ and AV (2·2·L_q·L_k·inner). The resolution and token count of each
/// layer follow from its diffusers name (down_blocks.i runs at size/2^i, and so on), so no hook or
/// trace is needed. Norms, activations and the text encoder are left out (a few per cent).
/// </summary>
public static class FlopCounter
{
    public static double UNetForward(UNet2DConditionModel unet, int textTokens)
    {
        var config = unet.Config;
        int levels = config.BlockOutChannels.Count;
        int size = config.SampleSize ?? throw new DiffusionAlignException("the UNet config has no sample_size, so its FLOPs per image are undefined");
        double flops = 0;
        foreach (var (name, module) in unet.named_modules())
        {
            int side = SideOf(name, size, levels);
            long pixels = (long)side * side;
            switch (module)
            {
                case Conv2d conv:
                    var w = conv.weight!.shape;
                    flops += 2.0 * pixels * w[0] * w[1] * w[2] * w[3];
                    break;
                case Linear linear:
                    // The timestep embedding and each resnet's projection of it act once per image.
                    long tokens = name.StartsWith("time_embedding", StringComparison.Ordinal) || name.EndsWith(".time_emb_proj", StringComparison.Ordinal) ? 1
                        : (name.EndsWith(".to_k", StringComparison.Ordinal) || name.EndsWith(".to_v", StringComparison.Ordinal)) && AttendsToPrompt(name[..name.LastIndexOf('.')], config) ? textTokens
                        : pixels;
                    flops += 2.0 * tokens * linear.weight!.shape[0] * linear.weight!.shape[1];
                    break;
                case Attention attention:
                    long keys = AttendsToPrompt(name, config) ? textTokens : pixels;
                    flops += 2.0 * 2.0 * pixels * keys * attention.Heads * attention.HeadDim;
                    break;
            }
        }
        return flops;
    }

    /// <summary>
    /// Whether the named attention (<c>….attn1</c> or <c>….attn2</c>) takes its keys and values from the
    /// prompt: always for <c>attn2</c>; for <c>attn1</c> only under <c>only_cross_attention</c>, which
    /// diffusers never passes to the middle block.
    /// </summary>
    private static bool AttendsToPrompt(string attention, UNet2DConditionConfig config)
    {
        if (attention.EndsWith(".attn2", StringComparison.Ordinal)) return true;
        if (!attention.EndsWith(".attn1", StringComparison.Ordinal)) return false;
        string[] parts = attention.Split('.');
        return parts[0] switch
        {
            "down_blocks" => config.OnlyCrossAttention.For(int.Parse(parts[1], CultureInfo.InvariantCulture)),
            "up_blocks" => config.OnlyCrossAttention.For(config.BlockCount - 1 - int.Parse(parts[1], CultureInfo.InvariantCulture)),
            _ => false,
        };
    }

    /// <summary>Side of the feature map a named layer works on.</summary>
    internal static int SideOf(string name, int size, int levels)
    {
        string[] parts = name.Split('.');
        if (parts.Length >= 2 && parts[0] == "down_blocks" && int.TryParse(parts[1], out int d))
            return name.Contains(".downsamplers.", StringComparison.Ordinal) ? size >> (d + 1) : size >> d;
        if (parts[0] == "mid_block") return size >> (levels - 1);
        if (parts.Length >= 2 && parts[0] == "up_blocks" && int.TryParse(parts[1], out int u))
        {
            int level = levels - 1 - u;
            return name.Contains(".upsamplers.", StringComparison.Ordinal) ? size >> (level - 1) : size >> level;
        }
        return size;
    }
}
