using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// Compares models as docs/method.md ("Evaluation") describes: every model samples the same
/// held-out prompts from identical initial noise, the hidden reward scores each sample, and win
/// rates are paired comparisons per (prompt, seed). On held-out pairs it adds ranking accuracies.
/// </summary>
public static class AlignmentEvaluator
{
    /// <summary>Progress of an evaluation: a phase name and (done, total) within it.</summary>
    public sealed record Progress(string Phase, int Done, int Total);

    /// <summary>
    /// Samples every model on the held-out prompts, scores the samples with the world's reward and compares
    /// each model with <paramref name="baseline"/>; with <paramref name="heldOutPairs"/>, adds ranking accuracies.
    /// </summary>
    /// <param name="cancel">
    /// Checked before each sampling or ranking batch: a cancelled evaluation throws
    /// <see cref="OperationCanceledException"/> and returns no results.
    /// </param>
    public static EvaluationResults Evaluate(IReadOnlyDictionary<string, TextToImageModel> models, string baseline,
        ShapesWorld world, IReadOnlyList<PreferencePair>? heldOutPairs, EvaluationConfig config,
        IProgress<Progress>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        if (!models.ContainsKey(baseline))
            throw new DiffusionAlignException(
                $"baseline '{baseline}' is not among the models ({string.Join(", ", models.Keys)})");

        var heldOut = world.Split.HeldOut;
        var prompts = new List<ShapesPrompt>();
        for (int p = 0; p < config.Prompts; p++)
            for (int s = 0; s < config.Seeds; s++)
                prompts.Add(heldOut[p % heldOut.Count]);

        var rewards = new Dictionary<string, double[]>();
        var scores = new Dictionary<string, ModelScores>();
        foreach (var (name, model) in models)
        {
            var images = Sample(model, prompts, config, name, progress, cancel);
            var r = new double[images.Length];
            int colourRight = 0;
            for (int i = 0; i < images.Length; i++)
            {
                r[i] = world.Reward.Score(prompts[i], images[i]);
                if (world.Inspector.Inspect(images[i]).ShapeColour == prompts[i].ShapeColour) colourRight++;
            }
            rewards[name] = r;
            var mean = MeanWithInterval.Compute(r);
            scores[name] = new ModelScores(
                mean.Mean, mean.CiLow, mean.CiHigh, (double)colourRight / images.Length, images.Length);
        }

        // Floor for context: the reward of pure-noise images (uniform pixels) for the same prompts.
        var noiseRng = new Random((int)(config.Seed & 0x7FFFFFFF));
        double noiseReward = prompts.Average(p =>
        {
            int size = models.Values.First().Config.ImageSize;
            var pixels = new float[size * size * 3];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)noiseRng.NextDouble();
            return world.Reward.Score(p, new RgbImage(size, size, pixels));
        });

        var winRates = new Dictionary<string, WinRateEntry>();
        foreach (var name in models.Keys.Where(n => n != baseline))
            winRates[name] = Entry(rewards[name], rewards[baseline], baseline);
        var others = models.Keys.Where(n => n != baseline).ToList();
        var headToHead = new Dictionary<string, WinRateEntry>();
        for (int i = 0; i < others.Count; i++)
            for (int j = i + 1; j < others.Count; j++)
                headToHead[$"{others[i]}_vs_{others[j]}"] = Entry(rewards[others[i]], rewards[others[j]], others[j]);

        var ranking = new Dictionary<string, double>();
        var implicitAcc = new Dictionary<string, double>();
        double? idealized = null, agreement = null;
        if (heldOutPairs is { Count: > 0 })
        {
            var refDelta = RankHeldOutPairs(
                models, baseline, heldOutPairs, config, ranking, implicitAcc, progress, cancel);
            var trueGap = heldOutPairs
                .Select(p => world.Reward.Score(ShapesPrompt.Parse(p.Prompt), p.Winner)
                    - world.Reward.Score(ShapesPrompt.Parse(p.Prompt), p.Loser))
                .ToList();
            agreement = trueGap.Average(g => g > 0 ? 1.0 : g == 0 ? 0.5 : 0.0);
            if (config.Tau is double tau)
            {
                // β·log π_ref(w)/π_ref(l) ≈ −(β/2)·E[m_w − m_l] on the implicit-reward scale;
                // the true BT reward is r/τ.
                var refLogRatio = refDelta.Select(d => -0.5 * d).ToList();
                idealized = IdealizedRankingAccuracy.Compute(
                    refLogRatio, trueGap.Select(g => g / tau).ToList(), config.Beta).Accuracy;
            }
        }

        return new EvaluationResults
        {
            Models = scores,
            WinRate = winRates,
            HeadToHead = headToHead,
            RankingAccuracy = ranking,
            ImplicitRewardAccuracy = implicitAcc,
            IdealizedRankingAccuracy = idealized,
            LabelRewardAgreement = agreement,
            NoiseImageReward = noiseReward,
            HeldOutPairs = heldOutPairs?.Count ?? 0,
            Baseline = baseline,
            Settings = new Dictionary<string, string>
            {
                ["prompts"] = config.Prompts.ToString(),
                ["seeds"] = config.Seeds.ToString(),
                ["samples_per_model"] = prompts.Count.ToString(),
                ["sampling_steps"] = config.EffectiveSampling.Steps.ToString(),
                ["guidance_scale"] =
                    config.EffectiveSampling.GuidanceScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["eta"] = config.EffectiveSampling.Eta.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["seed"] = config.Seed.ToString(),
                ["elbo_draws"] = config.ElboDraws.ToString(),
                ["beta"] = config.Beta.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["tau"] = config.Tau?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown",
                ["interval"] = "95% Wilson score interval, ties counted as half a win",
                ["tie_tolerance"] = RewardTieTolerance.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary>
    /// Ranking accuracies alone, for models no reward can score by sampling (e.g. Stable Diffusion on
    /// Pick-a-Pic pairs): each model's likelihood-proxy ranking accuracy and, against the baseline, the
    /// implicit reward's.
    /// </summary>
    /// <param name="cancel">Checked before each batch of pairs; a cancelled ranking throws and returns nothing.</param>
    public static EvaluationResults RankPairs(IReadOnlyDictionary<string, TextToImageModel> models,
        string baseline, IReadOnlyList<PreferencePair> heldOutPairs, EvaluationConfig config,
        IProgress<Progress>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        if (!models.ContainsKey(baseline))
            throw new DiffusionAlignException(
                $"baseline '{baseline}' is not among the models ({string.Join(", ", models.Keys)})");
        if (heldOutPairs.Count == 0) throw new DiffusionAlignException("no held-out pairs to rank");
        var ranking = new Dictionary<string, double>();
        var implicitAcc = new Dictionary<string, double>();
        RankHeldOutPairs(models, baseline, heldOutPairs, config, ranking, implicitAcc, progress, cancel);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return new EvaluationResults
        {
            RankingAccuracy = ranking,
            ImplicitRewardAccuracy = implicitAcc,
            HeldOutPairs = heldOutPairs.Count,
            Baseline = baseline,
            Settings = new Dictionary<string, string>
            {
                ["seed"] = config.Seed.ToString(),
                ["elbo_draws"] = config.ElboDraws.ToString(),
                ["beta"] = config.Beta.ToString(invariant),
                ["rewards"] = "none: ranking accuracies only",
            },
        };
    }

    /// <summary>
    /// Fills each model's ranking accuracy and each non-baseline model's implicit-reward accuracy; returns
    /// the baseline's per-pair error difference (winner − loser).
    /// </summary>
    /// <param name="cancel">Checked before each batch of pairs.</param>
    private static double[] RankHeldOutPairs(IReadOnlyDictionary<string, TextToImageModel> models, string baseline,
        IReadOnlyList<PreferencePair> heldOutPairs, EvaluationConfig config, Dictionary<string, double> ranking,
        Dictionary<string, double> implicitAcc, IProgress<Progress>? progress, CancellationToken cancel = default)
    {
        var errors = new Dictionary<string, (double[] W, double[] L)>();
        foreach (var (name, model) in models)
        {
            errors[name] = DenoisingErrors.Estimate(model, heldOutPairs, config.ElboDraws, config.Seed, 32,
                new ImmediateProgress<int>(
                    d => progress?.Report(new Progress($"ranking {name}", d, heldOutPairs.Count))),
                cancel);
            // Lower error on the winner = higher ELBO = the model ranks the winner above the loser.
            ranking[name] = RankingAccuracy.Compute(
                errors[name].L.Zip(errors[name].W, (l, w) => l - w).ToList()).Accuracy;
        }
        var refDelta = errors[baseline].W.Zip(errors[baseline].L, (w, l) => w - l).ToArray();
        foreach (var name in models.Keys.Where(n => n != baseline))
        {
            var delta = errors[name].W.Zip(errors[name].L, (w, l) => w - l).ToArray();
            // u = −(β/2)·((m_w − m_l) − (r_w − r_l)) (docs/method.md, "Evaluation");
            // its sign is the implicit reward's ranking.
            implicitAcc[name] = RankingAccuracy.Compute(
                delta.Select((d, i) => -(config.Beta / 2) * (d - refDelta[i])).ToList()).Accuracy;
        }
        return refDelta;
    }

    /// <summary>
    /// Samples prompt i from initial noise index i under the evaluation seed, so every model sees the
    /// same x_T per sample.
    /// </summary>
    /// <param name="cancel">Checked before each sampling batch; a cancelled run throws and returns no images.</param>
    public static RgbImage[] Sample(TextToImageModel model, IReadOnlyList<ShapesPrompt> prompts,
        EvaluationConfig config, string name, IProgress<Progress>? progress, CancellationToken cancel = default)
    {
        var result = new RgbImage[prompts.Count];
        for (int start = 0; start < prompts.Count; start += config.BatchSize)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int n = Math.Min(config.BatchSize, prompts.Count - start);
            var noise = TextToImageSampler.InitialNoise(n, model.SampleShape(), config.Seed, start);
            var images = TextToImageSampler.Generate(model,
                prompts.Skip(start).Take(n).Select(p => p.ToString()).ToList(), noise, config.EffectiveSampling,
                config.Seed + start);
            var decoded = ImageTensors.ToImages(images.cpu());
            for (int i = 0; i < n; i++) result[start + i] = decoded[i];
            progress?.Report(new Progress($"sampling {name}", start + n, prompts.Count));
        }
        return result;
    }

    /// <summary>
    /// Reward differences below this are float noise, not preference: two models whose weights differ
    /// by 1e-12 produce samples whose rewards differ by ~1e-9, which must count as ties, not wins.
    /// </summary>
    public const double RewardTieTolerance = 1e-6;

    private static WinRateEntry Entry(double[] a, double[] b, string vs)
    {
        var w = WinRate.Compute(a, b, RewardTieTolerance);
        return new WinRateEntry(vs, w.Rate, w.CiLow, w.CiHigh, w.N, w.Wins, w.Ties, w.Losses);
    }
}
