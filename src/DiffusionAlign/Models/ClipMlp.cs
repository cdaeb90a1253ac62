using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>transformers' <c>CLIPMLP</c>: <c>fc2(act(fc1(x)))</c>.</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Func<Tensor, Tensor> activation;

    public ClipMlp(ClipTextConfig config, Device? device = null)
        : base(nameof(ClipMlp))
    {
        var hidden = config.HiddenSize;
        // transformers' CLIP initialisation: N(0, σ) weights, zero biases.
        var fcStd = Math.Pow(2 * hidden, -0.5) * config.InitializerFactor;
        var inProjStd = Math.Pow(hidden, -0.5) * Math.Pow(2 * config.NumHiddenLayers, -0.5) * config.InitializerFactor;
        fc1 = ClipInit.Linear(hidden, config.IntermediateSize, fcStd, device);
        fc2 = ClipInit.Linear(config.IntermediateSize, hidden, inProjStd, device);
        activation = Activation.Get(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => fc2.forward(activation(fc1.forward(hidden)));
}
