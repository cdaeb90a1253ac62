using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>BasicTransformerBlock</c> (layer-norm variant): pre-norm self-attention
/// (<c>norm1</c>, <c>attn1</c>), cross-attention to the prompt (<c>norm2</c>, <c>attn2</c>) and a GEGLU
/// feed-forward (<c>norm3</c>, <c>ff</c>), each added back to its input.
/// </summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private const double LayerNormEps = 1e-5;

    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly LayerNorm norm1;
    private readonly Attention attn1;
    private readonly LayerNorm norm2;
    private readonly Attention attn2;
    private readonly LayerNorm norm3;
    private readonly FeedForward ff;
    private readonly bool onlyCrossAttention;

    /// <param name="dim">Token width (heads × headDim).</param>
    /// <param name="heads">Number of attention heads.</param>
    /// <param name="headDim">Width of one head.</param>
    /// <param name="crossAttentionDim">Width of the prompt embeddings.</param>
    /// <param name="onlyCrossAttention">When true <c>attn1</c> also attends to the prompt instead of the
    /// tokens.</param>
    /// <param name="dropoutProbability">Dropout inside attention outputs and the feed-forward.</param>
    /// <param name="device">Where to allocate the weights (null: the default device).</param>
    public BasicTransformerBlock(int dim, int heads, int headDim, int crossAttentionDim,
        bool onlyCrossAttention = false, double dropoutProbability = 0.0, Device? device = null)
        : base(nameof(BasicTransformerBlock))
    {
        this.onlyCrossAttention = onlyCrossAttention;
        norm1 = nn.LayerNorm(dim, LayerNormEps, device: device);
        attn1 = new Attention(
            dim, onlyCrossAttention ? crossAttentionDim : null, heads, headDim, dropoutProbability, device);
        norm2 = nn.LayerNorm(dim, LayerNormEps, device: device);
        attn2 = new Attention(dim, crossAttentionDim, heads, headDim, dropoutProbability, device);
        norm3 = nn.LayerNorm(dim, LayerNormEps, device: device);
        ff = new FeedForward(dim, dropoutProbability, device);
        RegisterComponents();
    }

    /// <summary>Maps tokens <c>[B, L, dim]</c> and prompt <c>[B, Lc, cross]</c> to <c>[B, L, dim]</c>.</summary>
    public override Tensor forward(Tensor hidden, Tensor context)
    {
        hidden = TensorSum.Add(attn1.forward(norm1.forward(hidden), onlyCrossAttention ? context : null), hidden);
        hidden = TensorSum.Add(attn2.forward(norm2.forward(hidden), context), hidden);
        return TensorSum.Add(ff.forward(norm3.forward(hidden)), hidden);
    }
}
