using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// The forward (noising) process of a DDPM: β_t, α_t = 1 − β_t and ᾱ_t = Π_{i≤t} α_i, with the
/// conversions between x0, ε, v and x_t that training and sampling need. Holds only arrays derived
/// from its config, like diffusers' schedulers; the network never sees it.
/// </summary>
public sealed class NoiseSchedule : IDisposable
{
    private readonly Tensor _sqrtAlphasCumprod;
    private readonly Tensor _sqrtOneMinusAlphasCumprod;

    public NoiseSchedule(NoiseScheduleConfig? config = null)
    {
        Config = (config ?? new NoiseScheduleConfig()).Validate();
        Betas = ComputeBetas(Config);
        Alphas = Betas.Select(b => 1.0 - b).ToArray();
        AlphasCumprod = new double[Betas.Length];
        double product = 1.0;
        for (int i = 0; i < Alphas.Length; i++) AlphasCumprod[i] = product *= Alphas[i];

        // Computed in double and stored as float32, the dtype the models train in.
        BetasTensor = ToFloatTensor(Betas);
        AlphasTensor = ToFloatTensor(Alphas);
        AlphasCumprodTensor = ToFloatTensor(AlphasCumprod);
        _sqrtAlphasCumprod = ToFloatTensor(AlphasCumprod.Select(Math.Sqrt).ToArray());
        _sqrtOneMinusAlphasCumprod = ToFloatTensor(AlphasCumprod.Select(a => Math.Sqrt(1.0 - a)).ToArray());
    }

    public NoiseScheduleConfig Config { get; }

    /// <summary>T, the number of training timesteps; valid timesteps are 0..T−1.</summary>
    public int NumTrainTimesteps => Config.NumTrainTimesteps;

    public PredictionType PredictionType => Config.PredictionType;

    /// <summary>β_t, the variance of the noise added at step t.</summary>
    public double[] Betas { get; }

    /// <summary>α_t = 1 − β_t.</summary>
    public double[] Alphas { get; }

    /// <summary>ᾱ_t = Π_{i≤t} α_i: the signal fraction left in x_t.</summary>
    public double[] AlphasCumprod { get; }

    /// <summary><see cref="Betas"/> as a float32 CPU tensor [T].</summary>
    public Tensor BetasTensor { get; }

    /// <summary><see cref="Alphas"/> as a float32 CPU tensor [T].</summary>
    public Tensor AlphasTensor { get; }

    /// <summary><see cref="AlphasCumprod"/> as a float32 CPU tensor [T].</summary>
    public Tensor AlphasCumprodTensor { get; }

    /// <summary>
    /// x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε, with one timestep per sample (<paramref name="timesteps"/> is
    /// int64 [N] for x0 of shape [N, ...], or a scalar applied to all).
    /// </summary>
    public Tensor AddNoise(Tensor x0, Tensor noise, Tensor timesteps)
    {
        RequireSameShape(x0, noise, nameof(noise));
        using var scope = NewDisposeScope();
        var (a, s) = Coefficients(timesteps, x0);
        return TensorSum.Add(a * x0, s * noise).MoveToOuterDisposeScope();
    }

    /// <summary>The v-prediction target v = sqrt(ᾱ_t)·ε − sqrt(1−ᾱ_t)·x0.</summary>
    public Tensor Velocity(Tensor x0, Tensor noise, Tensor timesteps)
    {
        RequireSameShape(x0, noise, nameof(noise));
        using var scope = NewDisposeScope();
        var (a, s) = Coefficients(timesteps, x0);
        return (a * noise - s * x0).MoveToOuterDisposeScope();
    }

    /// <summary>What the network should output for (x_t, t): ε, or v for v-prediction models.</summary>
    public Tensor TrainingTarget(Tensor x0, Tensor noise, Tensor timesteps) => PredictionType switch
    {
        PredictionType.Epsilon => noise.alias(),
        PredictionType.VPrediction => Velocity(x0, noise, timesteps),
        _ => throw new InvalidOperationException($"unhandled prediction type {PredictionType}"),
    };

    /// <summary>The clean sample implied by the network output at (x_t, t).</summary>
    public Tensor PredictOriginal(Tensor modelOutput, Tensor xt, Tensor timesteps)
    {
        RequireSameShape(xt, modelOutput, nameof(modelOutput));
        using var scope = NewDisposeScope();
        var (a, s) = Coefficients(timesteps, xt);
        var x0 = PredictionType == PredictionType.Epsilon
            ? (xt - s * modelOutput) / a
            : a * xt - s * modelOutput;
        return x0.MoveToOuterDisposeScope();
    }

    /// <summary>The noise implied by the network output at (x_t, t).</summary>
    public Tensor PredictEpsilon(Tensor modelOutput, Tensor xt, Tensor timesteps)
    {
        RequireSameShape(xt, modelOutput, nameof(modelOutput));
        if (PredictionType == PredictionType.Epsilon) return modelOutput.alias();
        using var scope = NewDisposeScope();
        var (a, s) = Coefficients(timesteps, xt);
        return TensorSum.Add(a * modelOutput, s * xt).MoveToOuterDisposeScope();
    }

    /// <summary>Training timesteps drawn uniformly from [0, T), int64 [batch].</summary>
    public Tensor SampleTimesteps(int batch, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        return randint(0, NumTrainTimesteps, [batch], dtype: ScalarType.Int64, generator: generator);
    }

    /// <summary>ᾱ_t for one timestep.</summary>
    public double AlphaCumprodAt(int t)
    {
        if (t < 0 || t >= NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"timestep must lie in [0, {NumTrainTimesteps})");
        return AlphasCumprod[t];
    }

    public void Dispose()
    {
        BetasTensor.Dispose();
        AlphasTensor.Dispose();
        AlphasCumprodTensor.Dispose();
        _sqrtAlphasCumprod.Dispose();
        _sqrtOneMinusAlphasCumprod.Dispose();
    }

    private static double[] ComputeBetas(NoiseScheduleConfig config)
    {
        int n = config.NumTrainTimesteps;
        var betas = new double[n];
        switch (config.BetaSchedule)
        {
            case BetaSchedule.Linear:
                for (int i = 0; i < n; i++) betas[i] = Lerp(config.BetaStart, config.BetaEnd, i, n);
                break;
            case BetaSchedule.ScaledLinear:
                double lo = Math.Sqrt(config.BetaStart), hi = Math.Sqrt(config.BetaEnd);
                for (int i = 0; i < n; i++) betas[i] = Math.Pow(Lerp(lo, hi, i, n), 2);
                break;
            case BetaSchedule.SquaredCosCapV2:
                // β_i = 1 − ᾱ((i+1)/T)/ᾱ(i/T) for the continuous
                // cosine ᾱ, capped so the last step is not pure noise.
                for (int i = 0; i < n; i++)
                    betas[i] = Math.Min(1.0 - CosineAlphaBar((i + 1.0) / n) / CosineAlphaBar((double)i / n), 0.999);
                break;
            default:
                throw new InvalidOperationException($"unhandled beta schedule {config.BetaSchedule}");
        }
        return betas;
    }

    private static double CosineAlphaBar(double time) => Math.Pow(Math.Cos((time + 0.008) / 1.008 * Math.PI / 2), 2);

    /// <summary>The i-th of n evenly spaced points from a to b inclusive (numpy/torch linspace).</summary>
    private static double Lerp(double a, double b, int i, int n) => n == 1 ? a : a + (b - a) * i / (n - 1);

    private static Tensor ToFloatTensor(double[] values)
    {
        using var d = tensor(values, dtype: ScalarType.Float64);
        return d.to_type(ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <summary>
    /// sqrt(ᾱ_t) and sqrt(1−ᾱ_t) gathered per sample and shaped
    /// [N, 1, 1, ...] to broadcast over <paramref name="like"/>.
    /// </summary>
    private (Tensor Signal, Tensor Noise) Coefficients(Tensor timesteps, Tensor like)
    {
        if (timesteps.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException(
                $"timesteps must be an integer tensor, got {timesteps.dtype}", nameof(timesteps));
        if (timesteps.dim() > 1 || (timesteps.dim() == 1 && (like.dim() == 0 || timesteps.shape[0] != like.shape[0])))
            throw new ArgumentException(
                "timesteps must be a scalar or hold one value per sample; "
                + $"got shape [{string.Join(", ", timesteps.shape)}] for samples [{string.Join(", ", like.shape)}]",
                nameof(timesteps));
        var index = timesteps.to(ScalarType.Int64, CPU).reshape(-1);
        if (index.numel() > 0)
        {
            long min = index.min().item<long>(), max = index.max().item<long>();
            if (min < 0 || max >= NumTrainTimesteps)
                throw new ArgumentOutOfRangeException(
                    nameof(timesteps), $"timesteps must lie in [0, {NumTrainTimesteps}), got {min}..{max}");
        }
        var shape = timesteps.dim() == 0 ? Array.Empty<long>() : new long[like.dim()];
        if (shape.Length > 0)
        {
            Array.Fill(shape, 1L);
            shape[0] = like.shape[0];
        }
        Tensor Gather(Tensor table) => table.index_select(0, index).reshape(shape).to(like.dtype, like.device);
        return (Gather(_sqrtAlphasCumprod), Gather(_sqrtOneMinusAlphasCumprod));
    }

    private static void RequireSameShape(Tensor expected, Tensor actual, string name)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]",
                name);
    }
}
