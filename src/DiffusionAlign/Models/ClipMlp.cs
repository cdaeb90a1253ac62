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

    public ClipMlp(int hiddenSize, int intermediateSize, string hiddenAct, Device? device = null)
        : base(nameof(ClipMlp))
    {
        fc1 = nn.Linear(hiddenSize, intermediateSize, device: device);
        fc2 = nn.Linear(intermediateSize, hiddenSize, device: device);
        activation = Activation.Get(hiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => fc2.forward(activation(fc1.forward(hidden)));
}
