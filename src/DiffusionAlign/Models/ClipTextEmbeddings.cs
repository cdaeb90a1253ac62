using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// transformers' <c>CLIPTextEmbeddings</c>: token embedding plus learned absolute position embedding.
/// Positions are computed on the fly rather than kept in a <c>position_ids</c> buffer, so the module's
/// state is exactly the two embedding tables.
/// </summary>
public sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Embedding token_embedding;
    private readonly Embedding position_embedding;

    public ClipTextEmbeddings(ClipTextConfig config, Device? device = null)
        : base(nameof(ClipTextEmbeddings))
    {
        MaxPositions = config.MaxPositionEmbeddings;
        // transformers' CLIP initialisation: both tables N(0, 0.02).
        var std = 0.02 * config.InitializerFactor;
        token_embedding = ClipInit.Embedding(config.VocabSize, config.HiddenSize, std, device);
        position_embedding = ClipInit.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, std, device);
        RegisterComponents();
    }

    public int MaxPositions { get; }

    /// <summary>Maps token ids <c>[B, L]</c> (int64, L ≤ max positions) to <c>[B, L, hidden]</c>.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        var length = inputIds.shape[^1];
        if (length > MaxPositions)
            throw new ArgumentException(
                $"sequence length {length} exceeds max_position_embeddings = {MaxPositions}", nameof(inputIds));
        // arange(length) spelled out with rooted Scalars (TensorSum says why): Int32 start and step, as it passes.
        using Scalar start = 0.ToScalar(), stop = length.ToScalar(), step = 1.ToScalar();
        var positions = torch.arange(start, stop, step, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        return TensorSum.Add(token_embedding.forward(inputIds), position_embedding.forward(positions));
    }
}
