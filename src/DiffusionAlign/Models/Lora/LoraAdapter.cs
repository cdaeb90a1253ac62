using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models.Lora;

/// <summary>
/// One LoRA adapter (Hu et al. 2021, as peft builds it): the low-rank update scale·B·A(dropout(x)) added to a
/// frozen linear projection's output. <c>down</c> is A [r, in], <c>up</c> is B [out, r]. It computes in float32
/// whatever the input's dtype and returns the input's dtype, so adapters can train in float32 on a bfloat16 base.
/// </summary>
public sealed class LoraAdapter : nn.Module<Tensor, Tensor>
{
    // Field names are the parameter names: "down.weight", "up.weight" (diffusers' LoRALinearLayer).
    private readonly Linear down;
    private readonly Linear up;
    private readonly Dropout? dropout;

    // Rooted for the module's life: a temporary Scalar can be freed by its finalizer while LibTorch reads it.
    private Scalar scaleScalar;
    private double scale;

    private LoraAdapter(Tensor downWeight, Tensor upWeight, double scale, double dropoutProbability)
        : base(nameof(LoraAdapter))
    {
        // Detached from any dispose scope the caller is in: the weights live as long as the module.
        down = nn.Linear(new Parameter(downWeight.DetachFromDisposeScope()), null);
        up = nn.Linear(new Parameter(upWeight.DetachFromDisposeScope()), null);
        if (dropoutProbability > 0) dropout = nn.Dropout(dropoutProbability);
        this.scale = scale;
        scaleScalar = scale.ToScalar();
        RegisterComponents();
    }

    /// <summary>
    /// A fresh adapter as peft initialises one: A kaiming-uniform with a = √5 (as <c>nn.Linear</c>, i.e.
    /// U(±1/√in)), B zero, so the adapted projection starts out equal to the base one. Draws only from
    /// <paramref name="generator"/> (on the CPU), never from the global generator.
    /// </summary>
    internal static LoraAdapter Initialised(long inFeatures, long outFeatures, int rank, double scale,
        double dropoutProbability, Device device, Generator generator)
    {
        double bound = 1.0 / Math.Sqrt(inFeatures);
        using var noGrad = no_grad();
        var a = empty(rank, inFeatures, ScalarType.Float32).uniform_(-bound, bound, generator);
        if (a.device_type != device.type)
        {
            var drawn = a;
            a = drawn.to(device);
            drawn.Dispose();
        }
        return new LoraAdapter(a, zeros(outFeatures, rank, ScalarType.Float32, device), scale, dropoutProbability);
    }

    /// <summary>
    /// An adapter holding copies of the given A [r, in] and B [out, r], in float32 on <paramref name="device"/>.
    /// </summary>
    internal static LoraAdapter FromWeights(Tensor downWeight, Tensor upWeight, double scale, Device device)
    {
        using var noGrad = no_grad();
        return new LoraAdapter(Float32Copy(downWeight, device), Float32Copy(upWeight, device), scale, 0.0);
    }

    public int Rank => (int)down.weight!.shape[0];

    /// <summary>A, <c>[rank, in]</c>.</summary>
    public Parameter Down => down.weight!;

    /// <summary>B, <c>[out, rank]</c>.</summary>
    public Parameter Up => up.weight!;

    /// <summary>The factor on B·A (α/r).</summary>
    public double Scale
    {
        get => scale;
        internal set
        {
            var old = scaleScalar;
            scaleScalar = value.ToScalar();
            scale = value;
            old.Dispose();
        }
    }

    /// <summary>When false the adapted projection computes exactly as its base projection.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The update scale·B·A(dropout(x)) for <c>x</c> <c>[…, in]</c>, in <c>x</c>'s dtype.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = AsFloat32(input);
        if (dropout is not null) x = dropout.forward(x);
        var update = nn.functional.linear(nn.functional.linear(x, AsFloat32(Down)), AsFloat32(Up)).mul(scaleScalar);
        if (update.dtype != input.dtype) update = update.to_type(input.dtype);
        return update.MoveToOuterDisposeScope();
    }

    /// <summary>scale·B·A, the change the adapter makes to the base weight <c>[out, in]</c>, in float32.</summary>
    internal Tensor WeightUpdate()
    {
        using var scope = NewDisposeScope();
        return matmul(AsFloat32(Up), AsFloat32(Down)).mul(scaleScalar).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) scaleScalar.Dispose();
        base.Dispose(disposing);
    }

    // The weights stay float32 unless someone converted the whole module tree; cast rather than fail then.
    private static Tensor AsFloat32(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to_type(ScalarType.Float32);

    private static Tensor Float32Copy(Tensor t, Device device)
    {
        using var detached = t.detach();
        return detached.to(ScalarType.Float32, device, copy: true);
    }
}
