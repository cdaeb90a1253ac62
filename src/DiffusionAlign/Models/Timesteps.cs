using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>Timesteps</c> (<c>time_proj</c>): the DDPM sinusoidal embedding of a timestep,
/// <c>[sin(t·f_i), cos(t·f_i)]</c> with <c>f_i = exp(−ln(10000)·i / (half − shift))</c>, halves swapped
/// when <c>flip_sin_to_cos</c>. No parameters.
/// </summary>
public sealed class Timesteps : nn.Module<Tensor, Tensor>
{
    private const double MaxPeriod = 10000.0;

    public Timesteps(int numChannels, bool flipSinToCos, double downscaleFreqShift)
        : base(nameof(Timesteps))
    {
        if (numChannels <= 0) throw new ArgumentOutOfRangeException(nameof(numChannels));
        NumChannels = numChannels;
        FlipSinToCos = flipSinToCos;
        DownscaleFreqShift = downscaleFreqShift;
        RegisterComponents();
    }

    public int NumChannels { get; }

    public bool FlipSinToCos { get; }

    public double DownscaleFreqShift { get; }

    /// <summary>Embeds timesteps <c>[B]</c> (integer or fractional) as float32 <c>[B, NumChannels]</c>.</summary>
    public override Tensor forward(Tensor timesteps)
    {
        if (timesteps.dim() != 1)
            throw new ArgumentException(
                $"timesteps must be 1-D, got shape [{string.Join(", ", timesteps.shape)}]", nameof(timesteps));

        using var scope = NewDisposeScope();
        var half = NumChannels / 2;
        // Same float32 operations in the same order as diffusers, so embeddings match bit for bit.
        // Rooted Scalars (TensorSum says why) of the types the operators passed: Int32 range, double factors.
        using Scalar start = 0.ToScalar(), stop = half.ToScalar(), step = 1.ToScalar(),
            logPeriod = (-Math.Log(MaxPeriod)).ToScalar(), shift = (half - DownscaleFreqShift).ToScalar();
        var exponent = torch.arange(start, stop, step, dtype: ScalarType.Float32, device: timesteps.device)
            .mul(logPeriod);
        exponent = exponent.div(shift);
        var angles = timesteps.unsqueeze(1).to_type(ScalarType.Float32) * torch.exp(exponent).unsqueeze(0);
        var embedding = FlipSinToCos
            ? torch.cat([torch.cos(angles), torch.sin(angles)], dim: -1)
            : torch.cat([torch.sin(angles), torch.cos(angles)], dim: -1);
        if (NumChannels % 2 == 1) embedding = nn.functional.pad(embedding, [0, 1, 0, 0]);
        return embedding.MoveToOuterDisposeScope();
    }
}
