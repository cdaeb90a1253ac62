using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>TimestepEmbedding</c> (<c>time_embedding</c>): <c>linear_2(act(linear_1(x)))</c>, turning
/// the sinusoidal embedding into the vector every resnet adds to its feature maps.
/// </summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Linear linear_1;
    private readonly Linear linear_2;
    private readonly Func<Tensor, Tensor> act;

    public TimestepEmbedding(int inChannels, int timeEmbedDim, string actFn, Device? device = null)
        : base(nameof(TimestepEmbedding))
    {
        linear_1 = nn.Linear(inChannels, timeEmbedDim, device: device);
        linear_2 = nn.Linear(timeEmbedDim, timeEmbedDim, device: device);
        act = Activation.Get(actFn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor sample) => linear_2.forward(act(linear_1.forward(sample)));
}
