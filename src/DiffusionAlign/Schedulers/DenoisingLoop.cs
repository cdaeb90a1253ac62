using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// The sampling loop: from initial noise, call the model at each inference timestep and let the
/// sampler step down. The model is any function of (x_t, t), so guidance or mixing of several models
/// is composed by the caller, not here.
/// </summary>
public static class DenoisingLoop
{
    /// <summary>
    /// Runs <paramref name="steps"/> DDIM steps under no_grad, freeing each step's tensors as it goes, and
    /// returns the final sample (a new tensor; <paramref name="initialNoise"/> is left untouched).
    /// <paramref name="progress"/> receives the number of steps done.
    /// </summary>
    public static Tensor Run(
        Func<Tensor, int, Tensor> model,
        Tensor initialNoise,
        DdimSampler sampler,
        int steps,
        double eta = 0,
        Generator? generator = null,
        IProgress<int>? progress = null)
    {
        var timesteps = sampler.SetTimesteps(steps);
        using var noGrad = no_grad();
        Tensor sample = initialNoise;
        for (int i = 0; i < timesteps.Length; i++)
        {
            Tensor next;
            using (var scope = NewDisposeScope())
            {
                var output = model(sample, timesteps[i]);
                next = sampler.Step(output, timesteps[i], sample, eta, generator).MoveToOuterDisposeScope();
            }
            // The previous sample is ours unless it is the caller's noise.
            if (!ReferenceEquals(sample, initialNoise)) sample.Dispose();
            sample = next;
            progress?.Report(i + 1);
        }
        return sample;
    }
}
