using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>transformers' <c>CLIPEncoder</c>: the stack of <see cref="ClipEncoderLayer"/>s (<c>layers.N</c>).</summary>
public sealed class ClipEncoder : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ClipTextConfig config, Device? device = null)
        : base(nameof(ClipEncoder))
    {
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(_ => new ClipEncoderLayer(config, device)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        foreach (var layer in layers) hidden = layer.forward(hidden);
        return hidden;
    }
}
