using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// Deterministic DDIM run backwards (η = 0): maps a clean sample to the noise that DDIM sampling with
/// the same model and steps would turn back into it, up to a discretisation error of order 1/steps. Used to find a
/// sample's latent noise (editing, likelihood probes) and to test the sampler. Follows diffusers' DDIMInverseScheduler:
/// the model is evaluated at the current sample with the target timestep, and the walk starts from the
/// noise level that <see cref="DdimSampler"/> ends on.
/// </summary>
public sealed class DdimInversion
{
    private readonly DdimSampler _forward;

    public DdimInversion(NoiseSchedule schedule)
    {
        Schedule = schedule;
        _forward = new DdimSampler(schedule);
    }

    public NoiseSchedule Schedule { get; }

    /// <summary>The inversion timesteps, ascending: the sampler's timesteps in reverse order.</summary>
    public int[] SetTimesteps(int steps)
    {
        var timesteps = _forward.SetTimesteps(steps);
        Array.Reverse(timesteps);
        return timesteps;
    }

    /// <summary>
    /// From a sample at the noise level one step below <paramref name="t"/> (t − T/steps, or the sampler's
    /// final level when that is negative) to the level of <paramref name="t"/>:
    /// x_t = sqrt(ᾱ_t)·x̂0 + sqrt(1−ᾱ_t)·ε̂, with x̂0 and
    /// ε̂ read from <paramref name="modelOutput"/> at the lower level.
    /// </summary>
    public Tensor Step(Tensor modelOutput, int t, Tensor sample)
    {
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException(
                $"model output shape [{string.Join(", ", modelOutput.shape)}] "
                + $"differs from sample shape [{string.Join(", ", sample.shape)}]",
                nameof(modelOutput));
        int lower = _forward.PreviousTimestep(t);
        double alphaLower = lower >= 0 ? Schedule.AlphaCumprodAt(lower) : _forward.FinalAlphaCumprod;
        double alphaT = Schedule.AlphaCumprodAt(t);

        using var scope = NewDisposeScope();
        var (x0, epsilon) = DdimSampler.PredictOriginalAndEpsilon(Schedule, modelOutput, sample, alphaLower);
        if (Schedule.Config.ClipSample) x0 = DdimSampler.ClipSample(Schedule, x0);
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using Scalar signal = Math.Sqrt(alphaT).ToScalar(), noise = Math.Sqrt(1 - alphaT).ToScalar();
        return TensorSum.Add(x0.mul(signal), epsilon.mul(noise)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Inverts <paramref name="sample"/> through all <paramref name="steps"/> timesteps under no_grad,
    /// calling <paramref name="model"/>(x, t) once per step; returns the noise latent at the highest timestep.
    /// </summary>
    public Tensor Run(Func<Tensor, int, Tensor> model, Tensor sample, int steps, IProgress<int>? progress = null)
    {
        var timesteps = SetTimesteps(steps);
        using var noGrad = no_grad();
        Tensor current = sample;
        for (int i = 0; i < timesteps.Length; i++)
        {
            Tensor next;
            using (var scope = NewDisposeScope())
            {
                var output = model(current, timesteps[i]);
                next = Step(output, timesteps[i], current).MoveToOuterDisposeScope();
            }
            if (!ReferenceEquals(current, sample)) current.Dispose();
            current = next;
            progress?.Report(i + 1);
        }
        return current;
    }
}
