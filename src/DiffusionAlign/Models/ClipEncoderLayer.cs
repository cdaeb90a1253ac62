using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// transformers' <c>CLIPEncoderLayer</c>: pre-norm causal self-attention (<c>layer_norm1</c>,
/// <c>self_attn</c>) and MLP (<c>layer_norm2</c>, <c>mlp</c>), each added back to its input.
/// </summary>
public sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly ClipMlp mlp;
    private readonly LayerNorm layer_norm2;

    public ClipEncoderLayer(ClipTextConfig config, Device? device = null)
        : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(config, device);
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        mlp = new ClipMlp(config, device);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        hidden = TensorSum.Add(self_attn.forward(layer_norm1.forward(hidden)), hidden);
        return TensorSum.Add(mlp.forward(layer_norm2.forward(hidden)), hidden);
    }
}
