using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>FeedForward</c> with the GEGLU activation: <c>net</c> = [GEGLU(dim → 4·dim), Dropout,
/// Linear(4·dim → dim)], so the checkpoint names are <c>ff.net.0.proj</c> and <c>ff.net.2</c>.
/// </summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private const int Multiplier = 4;

    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<nn.Module<Tensor, Tensor>> net;

    public FeedForward(int dim, double dropoutProbability = 0.0, Device? device = null)
        : base(nameof(FeedForward))
    {
        var inner = dim * Multiplier;
        net = nn.ModuleList<nn.Module<Tensor, Tensor>>(
            new GeGlu(dim, inner, device),
            nn.Dropout(dropoutProbability),
            nn.Linear(inner, dim, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var hidden = input;
        foreach (var layer in net) hidden = layer.forward(hidden);
        return hidden;
    }
}
