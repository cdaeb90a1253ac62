using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// An exponential moving average of a module's parameters. Small diffusion models sample far
/// better from averaged weights than from the last optimizer iterate, so pretraining saves these.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly (string Name, Tensor Shadow)[] _shadows;

    public ExponentialMovingAverage(nn.Module module, double decay)
    {
        Decay = decay;
        _shadows = module.named_parameters().Select(p => (p.name, p.parameter.detach().clone())).ToArray();
    }

    public double Decay { get; }

    /// <summary>
    /// shadow ← decay·shadow + (1 − decay)·param, with a warm-up so early averages are not dominated by the
    /// random init.
    /// </summary>
    public void Update(nn.Module module, int step)
    {
        double decay = Math.Min(Decay, (1.0 + step) / (10.0 + step));
        using var _ = no_grad();
        var current = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using Scalar keep = decay.ToScalar(), take = (1 - decay).ToScalar();
        foreach (var (name, shadow) in _shadows)
            shadow.mul_(keep).add_(current[name], alpha: take);
    }

    /// <summary>The averaged tensors by parameter name (owned by this object).</summary>
    public IReadOnlyDictionary<string, Tensor> Shadows => _shadows.ToDictionary(s => s.Name, s => s.Shadow);

    /// <summary>Copies the averages into <paramref name="module"/>'s parameters.</summary>
    public void CopyTo(nn.Module module)
    {
        using var _ = no_grad();
        var current = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, shadow) in _shadows) current[name].copy_(shadow);
    }

    /// <summary>Overwrites the averages (used when resuming).</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> shadows)
    {
        using var _ = no_grad();
        foreach (var (name, shadow) in _shadows)
        {
            if (!shadows.TryGetValue(name, out var stored))
                throw new DiffusionAlignException($"checkpoint lacks the moving average of {name}");
            shadow.copy_(stored);
        }
    }

    public void Dispose()
    {
        foreach (var (_, shadow) in _shadows) shadow.Dispose();
    }
}
