using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// DDIM sampling (Song et al. 2021, eq. 12): from x_t and the network output, step to the previous
/// inference timestep. η = 0 is deterministic; η = 1 has DDPM's ancestral variance. Follows diffusers'
/// DDIMScheduler: the previous timestep is t − T/steps, and past t = 0 the step lands on ᾱ_0 (or 1 with
/// set_alpha_to_one).
/// </summary>
public sealed class DdimSampler
{
    private int[]? _timesteps;

    public DdimSampler(NoiseSchedule schedule)
    {
        Schedule = schedule;
    }

    public NoiseSchedule Schedule { get; }

    /// <summary>The inference timesteps, descending, from the last <see cref="SetTimesteps"/>.</summary>
    public IReadOnlyList<int> Timesteps =>
        _timesteps ?? throw new InvalidOperationException("call SetTimesteps before sampling");

    public int NumInferenceSteps { get; private set; }

    /// <summary>ᾱ used after the last step: 1 with set_alpha_to_one, else ᾱ_0.</summary>
    public double FinalAlphaCumprod => Schedule.Config.SetAlphaToOne ? 1.0 : Schedule.AlphasCumprod[0];

    /// <summary>Chooses <paramref name="steps"/> inference timesteps (descending) by the config's spacing.</summary>
    public int[] SetTimesteps(int steps)
    {
        _timesteps = InferenceTimesteps(Schedule.Config, steps);
        NumInferenceSteps = steps;
        return (int[])_timesteps.Clone();
    }

    /// <summary>
    /// The timestep a step from <paramref name="t"/> lands on; negative
    /// means past the end (use <see cref="FinalAlphaCumprod"/>).
    /// </summary>
    public int PreviousTimestep(int t) => t - Schedule.NumTrainTimesteps / RequireSteps();

    /// <summary>
    /// x_{t−Δ} = sqrt(ᾱ_prev)·x̂0 + sqrt(1 − ᾱ_prev − σ_t²)·ε̂ + σ_t·z, with
    /// σ_t = η·sqrt((1−ᾱ_prev)/(1−ᾱ_t))·sqrt(1 − ᾱ_t/ᾱ_prev)
    /// and z ~ N(0, I) drawn from <paramref name="generator"/>.
    /// </summary>
    public Tensor Step(Tensor modelOutput, int t, Tensor sample, double eta = 0, Generator? generator = null)
    {
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new ArgumentException(
                $"model output shape [{string.Join(", ", modelOutput.shape)}] "
                + $"differs from sample shape [{string.Join(", ", sample.shape)}]",
                nameof(modelOutput));
        if (eta < 0 || double.IsNaN(eta))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be non-negative");
        int prev = PreviousTimestep(t);
        double alphaT = Schedule.AlphaCumprodAt(t);
        double alphaPrev = prev >= 0 ? Schedule.AlphasCumprod[prev] : FinalAlphaCumprod;

        using var scope = NewDisposeScope();
        var (x0, epsilon) = PredictOriginalAndEpsilon(Schedule, modelOutput, sample, alphaT);
        if (Schedule.Config.ClipSample) x0 = ClipSample(Schedule, x0);

        double variance = (1 - alphaPrev) / (1 - alphaT) * (1 - alphaT / alphaPrev);
        double sigma = eta * Math.Sqrt(Math.Max(variance, 0));
        double direction = Math.Sqrt(Math.Max(1 - alphaPrev - sigma * sigma, 0));
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using Scalar signal = Math.Sqrt(alphaPrev).ToScalar(), toward = direction.ToScalar(), spread = sigma.ToScalar();
        var previous = TensorSum.Add(x0.mul(signal), epsilon.mul(toward));
        if (eta > 0)
        {
            var z = randn(sample.shape, dtype: sample.dtype, device: sample.device, generator: generator);
            previous = TensorSum.Add(previous, z.mul(spread));
        }
        return previous.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// x̂0 and ε̂ from the network output at a noise level with signal fraction <paramref name="alphaT"/>.
    /// </summary>
    internal static (Tensor X0, Tensor Epsilon) PredictOriginalAndEpsilon(NoiseSchedule schedule, Tensor modelOutput,
        Tensor sample, double alphaT)
    {
        using Scalar a = Math.Sqrt(alphaT).ToScalar(), s = Math.Sqrt(1 - alphaT).ToScalar();
        return schedule.PredictionType switch
        {
            PredictionType.Epsilon => ((sample - modelOutput.mul(s)).div(a), modelOutput.alias()),
            PredictionType.VPrediction => (sample.mul(a) - modelOutput.mul(s),
                TensorSum.Add(modelOutput.mul(a), sample.mul(s))),
            _ => throw new InvalidOperationException($"unhandled prediction type {schedule.PredictionType}"),
        };
    }

    /// <summary>x̂0 clamped to ±clip_sample_range, as diffusers does when clip_sample is set.</summary>
    internal static Tensor ClipSample(NoiseSchedule schedule, Tensor x0)
    {
        var range = schedule.Config.ClipSampleRange;
        using Scalar low = (-range).ToScalar(), high = range.ToScalar();
        return x0.clamp(low, high);
    }

    /// <summary>diffusers' DDIM timestep spacing, descending.</summary>
    internal static int[] InferenceTimesteps(NoiseScheduleConfig config, int steps)
    {
        int total = config.NumTrainTimesteps;
        if (steps < 1 || steps > total)
            throw new DiffusionAlignException($"the number of sampling steps must lie in [1, {total}], got {steps}");
        var timesteps = new int[steps];
        switch (config.TimestepSpacing)
        {
            case TimestepSpacing.Leading:
                int ratio = total / steps;
                for (int i = 0; i < steps; i++) timesteps[i] = (steps - 1 - i) * ratio + config.StepsOffset;
                break;
            case TimestepSpacing.Trailing:
                double stride = (double)total / steps;
                for (int i = 0; i < steps; i++)
                    timesteps[i] = (int)Math.Round(total - i * stride, MidpointRounding.ToEven) - 1;
                break;
            case TimestepSpacing.Linspace:
                for (int i = 0; i < steps; i++)
                {
                    double point = steps == 1 ? 0 : (double)(total - 1) * (steps - 1 - i) / (steps - 1);
                    timesteps[i] = (int)Math.Round(point, MidpointRounding.ToEven);
                }
                break;
            default:
                throw new InvalidOperationException($"unhandled timestep spacing {config.TimestepSpacing}");
        }
        foreach (int t in timesteps)
            if (t < 0 || t >= total)
                throw new DiffusionAlignException(
                    $"{steps} steps with steps_offset {config.StepsOffset} give timestep {t}, outside [0, {total})");
        return timesteps;
    }

    private int RequireSteps() =>
        NumInferenceSteps > 0
            ? NumInferenceSteps
            : throw new InvalidOperationException("call SetTimesteps before sampling");
}
