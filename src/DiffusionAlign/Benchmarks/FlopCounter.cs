using DiffusionAlign.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Benchmarks;

/// <summary>
/// Counts the multiply-add FLOPs (2 per MAC) of one forward by hooking every convolution, linear
/// layer and attention module: conv 2·out·(C_in/groups)·k_h·k_w, linear 2·out·in, attention
/// 2·2·B·L_q·L_k·(heads·head_dim) for QKᵀ and AV. Norms and activations are left out (a few %).
/// </summary>
public static class FlopCounter
{
    public static double Count(nn.Module model, Action forward)
    {
        double flops = 0;
        var removers = new List<Action>();
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    var hc = conv.register_forward_hook((m, input, output) =>
                    {
                        var w = conv.weight!.shape; // [out, in/groups, kh, kw]
                        flops += 2.0 * output.numel() * w[1] * w[2] * w[3];
                        return output;
                    });
                    removers.Add(() => hc.remove());
                    break;
                case Linear linear:
                    var hl = linear.register_forward_hook((m, input, output) =>
                    {
                        flops += 2.0 * output.numel() * linear.weight!.shape[1];
                        return output;
                    });
                    removers.Add(() => hl.remove());
                    break;
                case Attention attention:
                    var ha = attention.register_forward_hook((m, hidden, context, output) =>
                    {
                        long b = hidden.shape[0], lq = hidden.shape[1];
                        long lk = context is null ? lq : context.shape[1];
                        flops += 2.0 * 2.0 * b * lq * lk * attention.Heads * attention.HeadDim;
                        return output;
                    });
                    removers.Add(() => ha.remove());
                    break;
            }
        }
        try
        {
            using var _ = no_grad();
            forward();
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return flops;
    }
}
