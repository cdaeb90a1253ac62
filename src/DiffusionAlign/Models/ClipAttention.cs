using DiffusionAlign.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// transformers' <c>CLIPAttention</c> as the text tower uses it: <c>q_proj</c>, <c>k_proj</c>,
/// <c>v_proj</c>, <c>out_proj</c> (all with bias), multi-head attention with a causal mask, so each
/// token sees only itself and the tokens before it. Its projections can carry LoRA adapters
/// (<see cref="LoraAdapters"/>).
/// </summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor>, ILoraHost
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear q_proj;
    private readonly Linear out_proj;

    // Registered only when LoraAdapters adds adapters, so a plain model has exactly the checkpoint's names.
    private ProjectionAdapters? lora;

    public ClipAttention(ClipTextConfig config, Device? device = null)
        : base(nameof(ClipAttention))
    {
        var hidden = config.HiddenSize;
        Heads = config.NumAttentionHeads;
        HeadDim = hidden / Heads;
        // transformers' CLIP initialisation: N(0, σ) weights, zero biases.
        var inProjStd = Math.Pow(hidden, -0.5) * Math.Pow(2 * config.NumHiddenLayers, -0.5) * config.InitializerFactor;
        var outProjStd = Math.Pow(hidden, -0.5) * config.InitializerFactor;
        k_proj = ClipInit.Linear(hidden, hidden, inProjStd, device);
        v_proj = ClipInit.Linear(hidden, hidden, inProjStd, device);
        q_proj = ClipInit.Linear(hidden, hidden, inProjStd, device);
        out_proj = ClipInit.Linear(hidden, hidden, outProjStd, device);
        RegisterComponents();
    }

    public int Heads { get; }

    public int HeadDim { get; }

    IReadOnlyList<(string Name, Linear Layer)> ILoraHost.Projections =>
        [("q_proj", q_proj), ("k_proj", k_proj), ("v_proj", v_proj), ("out_proj", out_proj)];

    ProjectionAdapters? ILoraHost.Lora { get => lora; set => lora = value; }

    /// <summary>Maps <c>[B, L, hidden]</c> to <c>[B, L, hidden]</c> under a causal mask.</summary>
    public override Tensor forward(Tensor hidden)
    {
        var (batch, length) = (hidden.shape[0], hidden.shape[1]);
        Tensor SplitHeads(Tensor x) => x.view(batch, length, Heads, HeadDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(
            SplitHeads(ProjectionAdapters.Forward(lora, "q_proj", q_proj, hidden)),
            SplitHeads(ProjectionAdapters.Forward(lora, "k_proj", k_proj, hidden)),
            SplitHeads(ProjectionAdapters.Forward(lora, "v_proj", v_proj, hidden)),
            is_casual: true);
        var merged = attended.transpose(1, 2).reshape(batch, length, Heads * HeadDim);
        return ProjectionAdapters.Forward(lora, "out_proj", out_proj, merged);
    }
}
