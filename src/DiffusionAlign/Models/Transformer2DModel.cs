using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>Transformer2DModel</c> for continuous inputs (the UNet's "attentions"): GroupNorm
/// (eps 1e-6), <c>proj_in</c> (1x1 conv, or linear when <c>use_linear_projection</c>), the pixels as a
/// token sequence through <c>transformer_blocks</c>, <c>proj_out</c> back, plus the input.
/// </summary>
public sealed class Transformer2DModel : nn.Module<Tensor, Tensor, Tensor>
{
    private const double GroupNormEps = 1e-6;

    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly GroupNorm norm;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
    private readonly bool useLinearProjection;

    /// <param name="heads">Number of attention heads.</param>
    /// <param name="headDim">Width of one head; heads × headDim is the token width.</param>
    /// <param name="inChannels">Channels of the feature map.</param>
    /// <param name="layers">Number of transformer blocks.</param>
    /// <param name="crossAttentionDim">Width of the prompt embeddings.</param>
    /// <param name="normGroups">GroupNorm groups.</param>
    /// <param name="useLinearProjection">Linear instead of 1x1-conv projections (SD2.x).</param>
    /// <param name="onlyCrossAttention">See <see cref="BasicTransformerBlock"/>.</param>
    /// <param name="dropoutProbability">Dropout inside the transformer blocks.</param>
    /// <param name="device">Where to allocate the weights (null: the default device).</param>
    public Transformer2DModel(
        int heads,
        int headDim,
        int inChannels,
        int layers,
        int crossAttentionDim,
        int normGroups,
        bool useLinearProjection,
        bool onlyCrossAttention = false,
        double dropoutProbability = 0.0,
        Device? device = null)
        : base(nameof(Transformer2DModel))
    {
        var inner = heads * headDim;
        this.useLinearProjection = useLinearProjection;
        norm = GroupNorms.Create(normGroups, inChannels, GroupNormEps, device);
        proj_in = useLinearProjection
            ? nn.Linear(inChannels, inner, device: device)
            : nn.Conv2d(inChannels, inner, 1, device: device);
        transformer_blocks = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(_ => new BasicTransformerBlock(
                inner, heads, headDim, crossAttentionDim, onlyCrossAttention, dropoutProbability, device))
            .ToArray());
        proj_out = useLinearProjection
            ? nn.Linear(inner, inChannels, device: device)
            : nn.Conv2d(inner, inChannels, 1, device: device);
        RegisterComponents();
    }

    /// <summary>
    /// Maps a feature map <c>[B, C, H, W]</c> and prompt <c>[B, Lc, cross]</c> to <c>[B, C, H, W]</c>.
    /// </summary>
    public override Tensor forward(Tensor input, Tensor context)
    {
        // As in ResnetBlock2D: free intermediates at block exit; autograd keeps what it saved.
        using var scope = NewDisposeScope();
        var (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3]);
        var hidden = norm.forward(input);
        if (!useLinearProjection) hidden = proj_in.forward(hidden);
        var inner = hidden.shape[1];
        hidden = hidden.permute(0, 2, 3, 1).reshape(batch, height * width, inner);
        if (useLinearProjection) hidden = proj_in.forward(hidden);

        foreach (var block in transformer_blocks) hidden = block.forward(hidden, context);

        if (useLinearProjection) hidden = proj_out.forward(hidden);
        inner = hidden.shape[2];
        hidden = hidden.reshape(batch, height, width, inner).permute(0, 3, 1, 2).contiguous();
        if (!useLinearProjection) hidden = proj_out.forward(hidden);
        return TensorSum.Add(hidden, input).MoveToOuterDisposeScope();
    }
}
