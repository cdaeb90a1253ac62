using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// Monte-Carlo estimates of each pair's denoising errors E_{t,ε}‖f_θ(x_t) − target‖² for winner and
/// loser, the ELBO proxy of diffusion likelihood. Draw d uses the same (t, ε) for both images of a
/// pair and for every model evaluated with the same seed, so differences are paired and low-variance.
/// </summary>
public static class DenoisingErrors
{
    /// <summary>Per-pair mean errors (winner, loser) over <paramref name="draws"/> draws.</summary>
    /// <param name="cancel">Checked before each batch of pairs; a cancelled estimate throws.</param>
    /// <param name="estimate">
    /// Which batches (by first pair) to estimate, null for all; the others' errors stay zero, for another process
    /// to fill.
    /// </param>
    public static (double[] Winner, double[] Loser) Estimate(INoisePredictor model,
        IReadOnlyList<PreferencePair> pairs, int draws, long seed, int batchPairs = 32, IProgress<int>? progress = null,
        CancellationToken cancel = default, Func<int, bool>? estimate = null)
    {
        if (draws < 1) throw new DiffusionAlignException($"draws must be at least 1, got {draws}");
        var winner = new double[pairs.Count];
        var loser = new double[pairs.Count];
        using var _ = no_grad();
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why); an Int32 as `sum / draws` passed.
        using var drawCount = draws.ToScalar();
        for (int start = 0; start < pairs.Count; start += batchPairs)
        {
            cancel.ThrowIfCancellationRequested();
            if (estimate is not null && !estimate(start)) continue;
            int n = Math.Min(batchPairs, pairs.Count - start);
            var batch = pairs.Skip(start).Take(n).ToList();
            using var scope = NewDisposeScope();
            var x0 = model.EvaluationSamples(
                ImageTensors.ToTensor(batch.Select(p => p.Winner).Concat(batch.Select(p => p.Loser)).ToList()));
            var text = model.EncodeText(batch.Select(p => p.Prompt).Concat(batch.Select(p => p.Prompt)).ToList());
            var sum = zeros(2 * n, dtype: float64, device: model.Device);
            for (int d = 0; d < draws; d++)
            {
                // Seeds depend on the pair index, not on the batch, so any batch size gives the same draws.
                var t = empty(n, dtype: int64);
                var noise = empty(new long[] { n, x0.shape[1], x0.shape[2], x0.shape[3] });
                for (int i = 0; i < n; i++)
                {
                    long key = (start + i) * 1_000_003L + d;
                    using var tGen = StepSeeds.Torch(seed, key, StepSeeds.Stream.Timesteps);
                    using var nGen = StepSeeds.Torch(seed, key, StepSeeds.Stream.Noise);
                    t[i] = model.Schedule.SampleTimesteps(1, tGen)[0];
                    noise[i] = randn(new long[] { x0.shape[1], x0.shape[2], x0.shape[3] }, generator: nGen);
                }
                var t2 = cat(new[] { t, t }, 0).to(model.Device);
                var noise2 = cat(new[] { noise, noise }, 0).to(model.Device);
                var noisy = model.Schedule.AddNoise(x0, noise2, t2);
                var target = model.Schedule.TrainingTarget(x0, noise2, t2);
                var error = TensorPower.Square(model.Predict(noisy, t2, text) - target).mean(new long[] { 1, 2, 3 });
                TensorSum.AddInPlace(sum, error.to(float64));
            }
            var means = sum.div(drawCount).cpu().data<double>().ToArray();
            for (int i = 0; i < n; i++)
            {
                winner[start + i] = means[i];
                loser[start + i] = means[n + i];
            }
            progress?.Report(start + n);
        }
        return (winner, loser);
    }
}
