using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>Attention</c> as the VAE's middle block builds it: a <c>group_norm</c>, one head as wide
/// as the channels, biased <c>to_q</c>/<c>to_k</c>/<c>to_v</c>/<c>to_out.0</c>, self-attention over the
/// pixels of a feature map, and a residual connection.
/// </summary>
public sealed class VaeAttention : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly GroupNorm group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;

    public VaeAttention(int channels, int groups, double eps, Device? device = null)
        : base(nameof(VaeAttention))
    {
        group_norm = GroupNorms.Create(groups, channels, eps, device);
        to_q = nn.Linear(channels, channels, device: device);
        to_k = nn.Linear(channels, channels, device: device);
        to_v = nn.Linear(channels, channels, device: device);
        to_out = nn.ModuleList<nn.Module<Tensor, Tensor>>(nn.Linear(channels, channels, device: device),
            nn.Dropout(0.0));
        RegisterComponents();
    }

    /// <summary>Maps <c>[B, C, H, W]</c> to the same shape.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        var tokens = group_norm.forward(input).reshape(b, c, h * w).transpose(1, 2); // [B, HW, C]
        var query = to_q.forward(tokens).unsqueeze(1);
        var key = to_k.forward(tokens).unsqueeze(1);
        var value = to_v.forward(tokens).unsqueeze(1);
        var attended = nn.functional.scaled_dot_product_attention(query, key, value).squeeze(1);
        foreach (var layer in to_out) attended = layer.forward(attended);
        var output = attended.transpose(1, 2).reshape(b, c, h, w);
        return TensorSum.Add(output, input).MoveToOuterDisposeScope();
    }
}
