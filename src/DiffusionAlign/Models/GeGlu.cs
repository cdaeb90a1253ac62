using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>GEGLU</c> (Shazeer 2020): one linear <c>proj</c> to twice the output width, split into
/// a value half and a gate half, output <c>value · gelu(gate)</c> with the exact (erf) GELU.
/// </summary>
public sealed class GeGlu : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Linear proj;

    public GeGlu(int inDim, int outDim, Device? device = null)
        : base(nameof(GeGlu))
    {
        proj = nn.Linear(inDim, outDim * 2, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var halves = proj.forward(input).chunk(2, dim: -1);
        return halves[0] * nn.functional.gelu(halves[1]);
    }
}
