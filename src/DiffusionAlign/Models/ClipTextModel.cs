using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// transformers' <c>CLIPTextModel</c>, Stable Diffusion's text encoder: token ids to the per-token
/// hidden states the UNet cross-attends to (<c>last_hidden_state</c>). Parameter names equal the
/// transformers checkpoint names (<c>text_model.encoder.layers.0.self_attn.q_proj.weight</c>).
/// </summary>
/// <remarks>
/// Checkpoints saved by older transformers versions also contain a
/// <c>text_model.embeddings.position_ids</c> buffer, newer ones do not. The model keeps no such buffer;
/// <see cref="LoadCheckpoint"/> drops that key (see <see cref="OptionalCheckpointKeys"/>) so both load
/// strictly. Callers of <c>load_state_dict</c> directly must remove it themselves.
/// </remarks>
public sealed class ClipTextModel : nn.Module<Tensor, Tensor>
{
    /// <summary>Checkpoint keys that may be present but carry nothing the model needs.</summary>
    public static IReadOnlyList<string> OptionalCheckpointKeys { get; } = ["text_model.embeddings.position_ids"];

    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ClipTextTransformer text_model;

    /// <summary>
    /// Builds the text encoder described by <paramref name="config"/> with freshly initialised weights.
    /// </summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="device">Where to allocate the weights (null: the default device; META: shapes only).</param>
    /// <exception cref="DiffusionAlignException">The config describes something we do not build.</exception>
    public ClipTextModel(ClipTextConfig config, Device? device = null)
        : base(nameof(ClipTextModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        text_model = new ClipTextTransformer(config, device);
        RegisterComponents();
    }

    /// <summary>The architecture this model was built from.</summary>
    public ClipTextConfig Config { get; }

    /// <summary>Maps token ids <c>[B, L]</c> (int64) to <c>last_hidden_state</c> <c>[B, L, hidden]</c>.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        if (inputIds.dim() != 2)
            throw new ArgumentException(
                $"input ids must be [B, L], got [{string.Join(", ", inputIds.shape)}]", nameof(inputIds));
        return text_model.forward(inputIds);
    }

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// The checkpoint names and shapes of the text encoder <paramref name="config"/> describes (without
    /// the optional <c>position_ids</c>), found without allocating any weights.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> CheckpointShapes(ClipTextConfig config)
    {
        using var model = new ClipTextModel(config, new Device(DeviceType.META));
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
    }

    /// <summary>
    /// Copies a transformers checkpoint (a flat name → tensor map, e.g. read from
    /// <c>text_encoder/model.safetensors</c>) into this model, with or without the
    /// <c>position_ids</c> buffer. Names and shapes must match exactly.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Listing missing, unexpected or mis-shaped tensors.</exception>
    public void LoadCheckpoint(IReadOnlyDictionary<string, Tensor> weights) =>
        CheckpointWeights.LoadStrict(this, weights, "CLIP text checkpoint", OptionalCheckpointKeys);
}
