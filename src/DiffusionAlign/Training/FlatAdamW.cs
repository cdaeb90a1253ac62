using DiffusionAlign.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// AdamW with gradient-norm clipping over all trainable parameters at once. On construction the
/// parameters are moved into one flat buffer (each parameter becomes a view of it) and their
/// gradients are pointed at views of a second one, where autograd then accumulates in place. A
/// step is then five whole-buffer ops and clipping one norm and one multiply, where a
/// per-parameter optimizer (TorchSharp's <c>optim.AdamW</c> + <c>clip_grad_norm_</c>) issues
/// about a dozen small ops for each of the UNet's ~250 tensors, which cost 4–5% of a demo-size
/// alignment step. The update is <c>torch.optim.AdamW</c>'s (same op order, same bias
/// corrections); clipping is <c>clip_grad_norm_</c>'s (total 2-norm, coefficient
/// max/(norm+1e-6) clamped at 1).
/// </summary>
/// <remarks>
/// The parameters must keep their storage afterwards: moving the module to another device or
/// changing its memory format (<c>UNet2DConditionModel.UseChannelsLast</c>) must come before the
/// optimizer is built. Values may be overwritten in place (<c>copy_</c>), which is how checkpoints load.
/// </remarks>
public sealed class FlatAdamW : IDisposable
{
    private readonly Tensor _weights;
    private readonly Tensor _grads;
    private readonly Tensor _expAvg;
    private readonly Tensor _expAvgSq;
    private readonly AdamWSettings _settings;

    /// <summary>Names of the state tensors in <see cref="StateTensors"/>.</summary>
    public const string ExpAvgKey = "exp_avg", ExpAvgSqKey = "exp_avg_sq", StepKey = "step";

    public FlatAdamW(IReadOnlyList<Parameter> parameters, AdamWSettings settings)
    {
        settings.Validate();
        if (parameters.Count == 0) throw new ArgumentException("no parameters to optimise", nameof(parameters));
        var first = parameters[0];
        if (parameters.Any(p => p.dtype != first.dtype || p.device.ToString() != first.device.ToString()))
            throw new ArgumentException("all parameters must share one dtype and device", nameof(parameters));
        _settings = settings;
        LearningRate = settings.LearningRate;
        long total = parameters.Sum(p => p.numel());
        Count = total;
        using var _ = no_grad();
        _weights = empty(total, first.dtype, first.device).DetachFromDisposeScope();
        _grads = zeros(total, first.dtype, first.device).DetachFromDisposeScope();
        _expAvg = zeros(total, first.dtype, first.device).DetachFromDisposeScope();
        _expAvgSq = zeros(total, first.dtype, first.device).DetachFromDisposeScope();
        long offset = 0;
        foreach (var p in parameters)
        {
            // The parameter's own strides over its slice: a channels-last weight stays channels-last.
            if (!p.is_contiguous() && !Models.MemoryLayout.IsChannelsLast(p))
                throw new ArgumentException(
                    "parameters must be dense (contiguous or channels-last)", nameof(parameters));
            long[] shape = p.shape, strides = p.stride();
            using (var view = _weights.as_strided(shape, strides, offset))
            {
                view.copy_(p);
                p.set_(view);
            }
            using (var view = _grads.as_strided(shape, strides, offset))
                p.grad = view; // autograd adds into a defined gradient in place
            offset += p.numel();
        }
    }

    /// <summary>Scalars in all parameters (the length of each flat buffer).</summary>
    public long Count { get; }

    /// <summary>The learning rate of the next <see cref="Step"/> (set it per step for a schedule).</summary>
    public double LearningRate { get; set; }

    /// <summary>Updates taken so far (AdamW's t, which its bias corrections use).</summary>
    public long Steps { get; private set; }

    /// <summary>Sets every gradient to zero (the views stay in place).</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope(); // the handle zero_ returns
        using var _ = no_grad();
        _grads.zero_();
    }

    /// <summary>
    /// Scales all gradients so their joint 2-norm is at most <paramref name="maxNorm"/>; no host
    /// synchronisation. Returns the norm before clipping (a scalar tensor the caller disposes), as
    /// <c>clip_grad_norm_</c> does, so it can be logged without a second pass over the gradients.
    /// </summary>
    public Tensor ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Explicit Scalars held to the end of the step (TensorSum says why implicit ones are not).
        using Scalar tiny = 1e-6.ToScalar(), max = maxNorm.ToScalar(), one = 1.0.ToScalar();
        var norm = _grads.norm();
        // max/(norm+1e-6) as ATen's clip_grad_norm_ computes it (reciprocal, then times max).
        var coefficient = norm.add(tiny, one).reciprocal_().mul_(max).clamp_max(one);
        _grads.mul_(coefficient);
        return norm.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Averages the gradients over the processes of <paramref name="world"/>: one all-reduce of the whole gradient
    /// buffer. Alone, nothing happens.
    /// </summary>
    public void AverageGradients(ICommunicator world) => world.AllReduceMean(_grads);

    /// <summary>
    /// Whether every gradient is finite (a NaN or infinite loss leaves none that are); one host read.
    /// </summary>
    public bool GradientsFinite()
    {
        using var finite = _grads.isfinite();
        using var all = finite.all();
        return all.item<bool>();
    }

    /// <summary>One AdamW update of all parameters from their current gradients.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Steps++;
        double lr = LearningRate, b1 = _settings.Beta1, b2 = _settings.Beta2;
        double biasCorrection1 = 1 - Math.Pow(b1, Steps);
        double biasCorrection2 = 1 - Math.Pow(b2, Steps);
        // Explicit Scalars held to the end of the step (TensorSum says why implicit ones are not).
        using Scalar decay = (1 - lr * _settings.WeightDecay).ToScalar(), beta1 = b1.ToScalar(),
            oneMinusBeta1 = (1 - b1).ToScalar(), beta2 = b2.ToScalar(), oneMinusBeta2 = (1 - b2).ToScalar(),
            sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar(), epsilon = _settings.Epsilon.ToScalar(),
            stepSize = (-lr / biasCorrection1).ToScalar(), one = 1.0.ToScalar();
        _weights.mul_(decay);
        _expAvg.mul_(beta1).add_(_grads, oneMinusBeta1);
        _expAvgSq.mul_(beta2).addcmul_(_grads, _grads, oneMinusBeta2);
        var denominator = _expAvgSq.sqrt().div_(sqrtBiasCorrection2).add_(epsilon, one);
        _weights.addcdiv_(_expAvg, denominator, stepSize);
    }

    /// <summary>
    /// The optimizer's state for a checkpoint: both moments (flat, in parameter order) and the step
    /// count. The tensors are new handles on the live state; dispose them after saving.
    /// </summary>
    public Dictionary<string, Tensor> StateTensors(string prefix = "") => new()
    {
        [prefix + ExpAvgKey] = _expAvg.alias(),
        [prefix + ExpAvgSqKey] = _expAvgSq.alias(),
        [prefix + StepKey] = tensor(new[] { Steps }),
    };

    /// <summary>Restores what <see cref="StateTensors"/> saved (with the same prefix).</summary>
    /// <exception cref="DiffusionAlignException">Missing or mis-shaped state (e.g. from another model).</exception>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, string prefix = "", string source = "checkpoint")
    {
        Tensor Get(string key, long length)
        {
            if (!tensors.TryGetValue(prefix + key, out var t))
                throw new DiffusionAlignException($"{source} lacks the optimizer state '{prefix + key}'");
            if (t.shape.Length != 1 || t.shape[0] != length)
                throw new DiffusionAlignException(
                    $"{source}: optimizer state '{prefix + key}' has shape [{string.Join(",", t.shape)}], "
                    + $"this model needs [{length}]");
            return t;
        }
        using var scope = NewDisposeScope(); // the int64 copy of the step count
        using var _ = no_grad();
        var expAvg = Get(ExpAvgKey, Count);
        var expAvgSq = Get(ExpAvgSqKey, Count);
        var step = Get(StepKey, 1);
        _expAvg.copy_(expAvg);
        _expAvgSq.copy_(expAvgSq);
        Steps = step.to_type(ScalarType.Int64).item<long>();
    }

    public void Dispose()
    {
        _weights.Dispose();
        _grads.Dispose();
        _expAvg.Dispose();
        _expAvgSq.Dispose();
    }
}
