using DiffusionAlign.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>Attention</c> as used in <see cref="BasicTransformerBlock"/>: bias-free
/// <c>to_q</c>/<c>to_k</c>/<c>to_v</c>, multi-head scaled dot-product attention (scale 1/√head_dim),
/// and <c>to_out</c> = [Linear with bias, Dropout]. Attends to <c>context</c> when given
/// (cross-attention), else to its own input (self-attention). Its projections can carry LoRA adapters
/// (<see cref="LoraAdapters"/>).
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor?, Tensor>, ILoraHost
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;

    // Registered only when LoraAdapters adds adapters, so a plain model has exactly the checkpoint's names.
    private ProjectionAdapters? lora;

    /// <param name="queryDim">Width of the attending sequence (and of the output).</param>
    /// <param name="crossAttentionDim">Width of the attended context; null for self-attention.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="headDim">Width of one head.</param>
    /// <param name="dropoutProbability">Dropout after the output projection.</param>
    /// <param name="device">Where to allocate the weights (null: the default device).</param>
    public Attention(int queryDim, int? crossAttentionDim, int heads, int headDim, double dropoutProbability = 0.0,
        Device? device = null)
        : base(nameof(Attention))
    {
        if (heads <= 0 || headDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(heads), "heads and head width must be positive");
        Heads = heads;
        HeadDim = headDim;
        var inner = heads * headDim;
        var contextDim = crossAttentionDim ?? queryDim;
        to_q = nn.Linear(queryDim, inner, hasBias: false, device: device);
        to_k = nn.Linear(contextDim, inner, hasBias: false, device: device);
        to_v = nn.Linear(contextDim, inner, hasBias: false, device: device);
        to_out = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            nn.Linear(inner, queryDim, hasBias: true, device: device),
            nn.Dropout(dropoutProbability));
        RegisterComponents();
    }

    public int Heads { get; }

    public int HeadDim { get; }

    /// <summary>
    /// Which attention computation <see cref="forward"/> uses; the result is the same up to rounding.
    /// </summary>
    public AttentionKernel Kernel { get; set; } = AttentionKernel.ScaledDotProduct;

    IReadOnlyList<(string Name, Linear Layer)> ILoraHost.Projections =>
        [("to_q", to_q), ("to_k", to_k), ("to_v", to_v), ("to_out.0", (Linear)to_out[0])];

    ProjectionAdapters? ILoraHost.Lora { get => lora; set => lora = value; }

    /// <summary>
    /// Maps <c>hidden</c> <c>[B, Lq, query]</c> (and <c>context</c> <c>[B, Lk, cross]</c>) to <c>[B, Lq, query]</c>.
    /// </summary>
    public override Tensor forward(Tensor hidden, Tensor? context)
    {
        var source = context ?? hidden;
        var query = SplitHeads(ProjectionAdapters.Forward(lora, "to_q", to_q, hidden));
        var key = SplitHeads(ProjectionAdapters.Forward(lora, "to_k", to_k, source));
        var value = SplitHeads(ProjectionAdapters.Forward(lora, "to_v", to_v, source));
        var attended = Kernel == AttentionKernel.ScaledDotProduct
            ? nn.functional.scaled_dot_product_attention(query, key, value)
            : ExplicitAttention(query, key, value);
        // to_out = [Linear, Dropout]: an adapter wraps the Linear, before the dropout.
        var output = ProjectionAdapters.Forward(lora, "to_out.0", to_out[0], MergeHeads(attended));
        return to_out[1].forward(output);
    }

    private Tensor ExplicitAttention(Tensor query, Tensor key, Tensor value)
    {
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using var scale = (1.0 / Math.Sqrt(HeadDim)).ToScalar();
        return matmul(softmax(matmul(query, key.transpose(-2, -1)).mul(scale), -1), value);
    }

    // [B, L, H·D] → [B, H, L, D]
    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], Heads, HeadDim).transpose(1, 2);

    // [B, H, L, D] → [B, L, H·D]
    private Tensor MergeHeads(Tensor x) => x.transpose(1, 2).reshape(x.shape[0], x.shape[2], Heads * HeadDim);
}
