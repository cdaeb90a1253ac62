// Chooses mixture weights that maximise the worst of several rewards, by batch stochastic mirror ascent.
using DiffusionAlign.Data;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Rewards;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Mixing;

/// <summary>One step of mirror ascent.</summary>
/// <param name="Weights">The weights the step started from.</param>
/// <param name="Rewards">Each reward's mean over the iteration's batch, sampled at <paramref name="Weights"/>.</param>
/// <param name="Gradient">The estimate g of the lowest reward's gradient in w (up to a common shift, which the step
/// ignores).</param>
/// <param name="Next">The weights after the step.</param>
public sealed record MirrorDescentStep(
    MixtureWeights Weights, double[] Rewards, double[] Gradient, MixtureWeights Next);

/// <summary>The chosen weights and how the search got there.</summary>
/// <param name="Weights">The average of the iterates after each step, weighted by the step sizes: what stochastic
/// mirror descent's guarantee is about, and steadier than the last iterate, which circles the balance point.</param>
/// <param name="Last">The last iterate.</param>
public sealed record MirrorDescentResult(
    MixtureWeights Weights, MixtureWeights Last, IReadOnlyList<MirrorDescentStep> Steps);

/// <summary>
/// Batch stochastic mirror ascent on the simplex for <c>max_w min_j R_j(w)</c>, the worst of several rewards of the
/// mixture with weights w (MPO's choice of mixing weights). Step t: <c>w ← w ⊙ exp(η_t·g)</c>, renormalised, with
/// <c>η_t = η/√(t + 1)</c>, the decay under which subgradient steps on a max-min converge.
/// </summary>
/// <remarks>
/// <para>g is a subgradient of the minimum: the gradient of the reward that is lowest at w, estimated by forward
/// finite differences along each edge of the simplex with common random numbers. At iteration t one batch of
/// (prompt, noise) samples is drawn, and the mixture is sampled on it at w and at each probe
/// <c>w⁽ⁱ⁾ = (1 − δ)·w + δ·e_i</c>; with j the reward whose batch mean is lowest at w,
/// <c>gᵢ = (R_j(w⁽ⁱ⁾) − R_j(w)) / δ</c>. That is the directional derivative <c>∇R_j·(e_i − w)</c> up to O(δ), which
/// differs from <c>∂R_j/∂wᵢ</c> by <c>⟨w, ∇R_j⟩</c> for every i, a shift the renormalisation cancels. Sharing the
/// batch makes the differences measure the weights, not which prompts or noises were drawn. Cost per step: K + 1
/// samplings of the batch for K policies.</para>
/// <para>Differencing the minimum itself instead is biased near the balance: a probe that crosses the point where
/// two rewards meet measures the other reward's fall, so both coordinates look negative and the weights drift past
/// the balance, to a vertex on a linear example with δ = 0.25. The active reward's difference has no such bias (it
/// is exact for rewards linear in w); at the balance the active reward alternates and the iterates circle it, which
/// the decaying step and the averaging settle.</para>
/// </remarks>
public static class MirrorDescentWeights
{
    /// <summary>
    /// Mirror ascent from <paramref name="start"/> on any objective: <paramref name="rewards"/>(w, t) returns each
    /// reward's mean at weights w on iteration t's batch (the same batch for every call with the same t).
    /// </summary>
    /// <param name="progress">Receives the number of objective calls made so far.</param>
    /// <param name="cancel">Checked before each call of the objective.</param>
    public static MirrorDescentResult Maximise(MixtureWeights start, Func<MixtureWeights, int, double[]> rewards,
        MirrorDescentConfig config, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(rewards);
        config.Validate();
        int k = start.Count;
        var steps = new List<MirrorDescentStep>(config.Iterations);
        var sum = new double[k];
        var weights = start;
        int calls = 0;
        double[] Probe(MixtureWeights w, int t)
        {
            cancel.ThrowIfCancellationRequested();
            var means = rewards(w, t);
            if (means.Length == 0 || means.Any(v => !double.IsFinite(v)))
                throw new DiffusionAlignException(
                    $"the mixture's rewards must be finite numbers, got [{string.Join(", ", means)}]");
            progress?.Report(++calls);
            return means;
        }
        for (int t = 0; t < config.Iterations; t++)
        {
            var here = Probe(weights, t);
            int worst = Array.IndexOf(here, here.Min());
            var gradient = new double[k];
            for (int i = 0; i < k; i++)
                gradient[i] = (Probe(weights.Toward(i, config.ProbeSize), t)[worst] - here[worst]) / config.ProbeSize;
            double step = config.StepSize / Math.Sqrt(t + 1);
            // Shifting g by its maximum changes nothing after renormalisation and keeps exp from overflowing.
            double top = gradient.Max();
            var next = MixtureWeights.Normalised(
                weights.Values.Select((w, i) => w * Math.Exp(step * (gradient[i] - top))));
            steps.Add(new MirrorDescentStep(weights, here, gradient, next));
            // Each iterate sums to 1, so normalising the step-weighted sum divides by Σ η_t.
            for (int i = 0; i < k; i++) sum[i] += step * next[i];
            weights = next;
        }
        return new MirrorDescentResult(MixtureWeights.Normalised(sum), weights, steps);
    }

    /// <summary>
    /// Mirror ascent for <paramref name="mixture"/>'s policies from its weights: each probe samples the mixture
    /// on the iteration's batch of <see cref="MirrorDescentConfig.PromptSet"/> prompts (drawn with replacement) and
    /// scores every sample with each of <paramref name="rewards"/>.
    /// </summary>
    /// <param name="progress">Receives (phase, probes done, probes in all).</param>
    public static MirrorDescentResult Find(PolicyMixture mixture, IReadOnlyList<IRewardModel> rewards,
        ShapesWorld world, MirrorDescentConfig config, IProgress<AlignmentEvaluator.Progress>? progress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        ArgumentNullException.ThrowIfNull(rewards);
        if (rewards.Count == 0) throw new DiffusionAlignException("mirror descent needs at least one reward");
        config.Validate();
        var pool = world.Split.Of(config.PromptSet);
        int probes = config.Iterations * (mixture.Weights.Count + 1);
        double[] Objective(MixtureWeights weights, int t)
        {
            var rng = StepSeeds.Managed(config.Seed, t, StepSeeds.Stream.Data);
            var prompts = Enumerable.Range(0, config.SamplesPerProbe).Select(_ => pool[rng.Next(pool.Count)]).ToList();
            var sampling = new EvaluationConfig(
                Sampling: config.EffectiveSampling, BatchSize: config.BatchSize,
                Seed: StepSeeds.Mix(config.Seed, t, StepSeeds.Stream.Sampling));
            using var probe = mixture.WithWeights(weights);
            var scores = RewardSamples.Score(probe, prompts, rewards, sampling, "", null, cancel);
            return [.. scores.Select(s => s.Average())];
        }
        return Maximise(mixture.Weights, Objective, config,
            progress is null ? null : new Runtime.ImmediateProgress<int>(
                d => progress.Report(new AlignmentEvaluator.Progress("mirror descent", d, probes))),
            cancel);
    }
}
