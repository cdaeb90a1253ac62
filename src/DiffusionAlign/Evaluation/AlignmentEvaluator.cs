using System.Text.Json.Nodes;
using DiffusionAlign.Data;
using DiffusionAlign.Distributed;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// Compares models as docs/method.md ("Evaluation") describes: every model samples each prompt of one prompt
/// set from the same initial noises, the hidden reward and the second judge score each sample, and win rates
/// are paired comparisons per (prompt, noise), a tie unless the difference exceeds the score's resolution.
/// Intervals come plain and prompt-clustered. On held-out pairs it adds ranking accuracies and alignment gaps.
/// </summary>
public static class AlignmentEvaluator
{
    /// <summary>Progress of an evaluation: a phase name and (done, total) within it.</summary>
    public sealed record Progress(string Phase, int Done, int Total);

    /// <summary>
    /// Samples every model on the prompts of <see cref="EvaluationConfig.PromptSet"/>, scores the samples with the
    /// world's reward and judge and compares each model with <paramref name="baseline"/> and with each other; with
    /// <paramref name="heldOutPairs"/>, adds ranking accuracies and, given τ, the alignment gaps.
    /// </summary>
    /// <param name="cancel">
    /// Checked before each sampling or ranking batch: a cancelled evaluation throws
    /// <see cref="OperationCanceledException"/> and returns no results.
    /// </param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments: they share the sampling and
    /// scoring (<see cref="EvaluationShards"/>) and every one returns the results one process alone returns. Null (or a
    /// group of one): this process does all of it.
    /// </param>
    /// <param name="replicates">
    /// Models that are training replicates of one recipe: each is compared as a model of its own, and each group
    /// is also pooled over its replicates (<see cref="EvaluationResults.Pooled"/>). Null: no groups.
    /// </param>
    public static EvaluationResults Evaluate<TModel>(IReadOnlyDictionary<string, TModel> models, string baseline,
        ShapesWorld world, IReadOnlyList<PreferencePair>? heldOutPairs, EvaluationConfig config,
        IProgress<Progress>? progress = null, CancellationToken cancel = default, ICommunicator? communicator = null,
        ReplicateGroups? replicates = null)
        where TModel : INoisePredictor
    {
        config.Validate();
        replicates?.CheckBaseline(baseline);
        if (!models.ContainsKey(baseline))
            throw new DiffusionAlignException(
                $"baseline '{baseline}' is not among the models ({string.Join(", ", models.Keys)})");
        replicates?.Check(models.Keys, baseline);

        var plan = EvaluationPrompts.Select(world.Split, config);
        var prompts = plan.Samples;
        var compare = new SampleComparisons(plan, config.BootstrapResamples, BootstrapSeed(config));
        var shards = new EvaluationShards(communicator ?? SingleProcessCommunicator.Instance, config.BatchSize);
        shards.CheckSame(config, models.Keys, prompts.Count, "samples");

        var sampled = new Dictionary<string, SampleScores>();
        foreach (var (name, model) in models)
        {
            var images = new RgbImage?[prompts.Count];
            SampleBatches(model, prompts, config, name, progress, cancel, shards.OwnsBatch, images);
            sampled[name] = shards.Gather(SampleScores.Of(world, prompts, images, config.Seed, cancel));
        }
        var rewards = sampled.ToDictionary(kv => kv.Key, kv => kv.Value.Reward);
        var judged = sampled.ToDictionary(kv => kv.Key, kv => kv.Value.Judge);
        var scores = sampled.ToDictionary(
            kv => kv.Key, kv => compare.ModelScores(kv.Value.Reward, kv.Value.ColourAccuracy));
        var rewardResolution = ScoreResolution.FromDifferences(sampled.Values.SelectMany(s => s.RewardJitter));
        var judgeResolution = ScoreResolution.FromDifferences(sampled.Values.SelectMany(s => s.JudgeJitter));
        var byReward = compare.All(rewards, models.Keys, baseline, rewardResolution.Value);
        var byJudge = compare.All(judged, models.Keys, baseline, judgeResolution.Value);
        var pooled = replicates is { Members.Count: > 0 }
            ? replicates.Members.ToDictionary(g => g.Key, g => compare.Pool(g.Value, baseline, rewards, judged, scores,
                byReward, byJudge, rewardResolution.Value, judgeResolution.Value))
            : null;
        double noiseReward = NoiseImageReward(world, prompts, models.Values.First().ImageSize, config.Seed);

        var ranking = new Dictionary<string, double>();
        var implicitAcc = new Dictionary<string, double>();
        double? idealized = null, agreement = null;
        Dictionary<string, AlignmentGapResult>? gaps = null;
        if (heldOutPairs is { Count: > 0 })
        {
            var ranked = RankHeldOutPairs(
                models, baseline, heldOutPairs, config, ranking, implicitAcc, progress, cancel, communicator);
            var trueGap = heldOutPairs
                .Select(p => world.Reward.Score(ShapesPrompt.Parse(p.Prompt), p.Winner)
                    - world.Reward.Score(ShapesPrompt.Parse(p.Prompt), p.Loser))
                .ToList();
            agreement = trueGap.Average(g => g > 0 ? 1.0 : g == 0 ? 0.5 : 0.0);
            if (config.Tau is double tau)
            {
                // β·log π_ref(w)/π_ref(l) ≈ −(β/2)·E[m_w − m_l] on the implicit-reward scale;
                // the true BT reward is r/τ.
                var refLogRatio = ranked.ReferenceDelta.Select(d => -0.5 * d).ToList();
                var trueLogits = trueGap.Select(g => g / tau).ToList();
                idealized = IdealizedRankingAccuracy.Compute(refLogRatio, trueLogits, config.Beta).Accuracy;
                var idealMargins = IdealizedRankingAccuracy.Margins(refLogRatio, trueLogits, config.Beta);
                gaps = ranked.Margins.ToDictionary(kv => kv.Key, kv => AlignmentGap.Compute(
                    idealMargins, kv.Value, config.BootstrapResamples, BootstrapSeed(config)));
            }
        }

        return new EvaluationResults
        {
            Models = scores,
            WinRate = byReward.VsBaseline,
            HeadToHead = byReward.HeadToHead,
            RankingAccuracy = ranking,
            ImplicitRewardAccuracy = implicitAcc,
            IdealizedRankingAccuracy = idealized,
            LabelRewardAgreement = agreement,
            NoiseImageReward = noiseReward,
            HeldOutPairs = heldOutPairs?.Count ?? 0,
            Baseline = baseline,
            PromptSet = EvaluationPrompts.Name(plan.Set),
            RewardResolution = rewardResolution.Value,
            RewardResolutionMethod = rewardResolution.Method,
            AlignmentGap = gaps,
            Judge = new JudgeResults
            {
                Models = judged.ToDictionary(kv => kv.Key, kv => compare.JudgeScores(kv.Value)),
                WinRate = byJudge.VsBaseline,
                HeadToHead = byJudge.HeadToHead,
                Resolution = judgeResolution.Value,
                ResolutionMethod = judgeResolution.Method,
            },
            JudgeDisagreements = JudgeDisagreements.Find(byReward, byJudge),
            Pooled = pooled,
            Settings = new Dictionary<string, JsonNode?>
            {
                ["prompt_set"] = EvaluationPrompts.Name(plan.Set),
                ["prompts"] = plan.Prompts.Count,
                ["prompts_requested"] = plan.Requested,
                ["seeds"] = config.Seeds,
                ["samples_per_model"] = prompts.Count,
                ["sampling_steps"] = config.EffectiveSampling.Steps,
                ["guidance_scale"] = config.EffectiveSampling.GuidanceScale,
                ["eta"] = config.EffectiveSampling.Eta,
                ["seed"] = config.Seed,
                ["elbo_draws"] = config.ElboDraws,
                ["beta"] = config.Beta,
                ["tau"] = config.Tau,
                ["interval"] = "95% Wilson score interval (t for means) and, as clustered_ci_*, a "
                    + ClusteredBootstrap.Describe(config.BootstrapResamples) + "; ties counted as half a win",
                ["tie_tolerance"] = rewardResolution.Value,
                ["tie_tolerance_floor"] = RewardTieTolerance,
                ["bootstrap_resamples"] = config.BootstrapResamples,
            },
        };
    }

    /// <summary>Every bootstrap of an evaluation resamples with this seed, so reruns give the same intervals.</summary>
    private static int BootstrapSeed(EvaluationConfig config) => (int)(config.Seed & 0x7FFFFFFF);

    /// <summary>
    /// Floor for context: the mean reward of pure-noise images (uniform pixels) for the same prompt list.
    /// </summary>
    private static double NoiseImageReward(ShapesWorld world, IReadOnlyList<ShapesPrompt> prompts, int size, long seed)
    {
        var noiseRng = new Random((int)(seed & 0x7FFFFFFF));
        return prompts.Average(p =>
        {
            var pixels = new float[size * size * 3];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)noiseRng.NextDouble();
            return world.Reward.Score(p, new RgbImage(size, size, pixels));
        });
    }

    /// <summary>
    /// Ranking accuracies alone, for models no reward can score by sampling (e.g. Stable Diffusion on
    /// Pick-a-Pic pairs): each model's likelihood-proxy ranking accuracy and, against the baseline, the
    /// implicit reward's.
    /// </summary>
    /// <param name="cancel">Checked before each batch of pairs; a cancelled ranking throws and returns nothing.</param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, sharing the pairs as <see cref="Evaluate"/> shares samples.
    /// </param>
    public static EvaluationResults RankPairs<TModel>(IReadOnlyDictionary<string, TModel> models,
        string baseline, IReadOnlyList<PreferencePair> heldOutPairs, EvaluationConfig config,
        IProgress<Progress>? progress = null, CancellationToken cancel = default, ICommunicator? communicator = null)
        where TModel : INoisePredictor
    {
        config.Validate();
        if (!models.ContainsKey(baseline))
            throw new DiffusionAlignException(
                $"baseline '{baseline}' is not among the models ({string.Join(", ", models.Keys)})");
        if (heldOutPairs.Count == 0) throw new DiffusionAlignException("no held-out pairs to rank");
        var ranking = new Dictionary<string, double>();
        var implicitAcc = new Dictionary<string, double>();
        RankHeldOutPairs(models, baseline, heldOutPairs, config, ranking, implicitAcc, progress, cancel, communicator);
        return new EvaluationResults
        {
            RankingAccuracy = ranking,
            ImplicitRewardAccuracy = implicitAcc,
            HeldOutPairs = heldOutPairs.Count,
            Baseline = baseline,
            Settings = new Dictionary<string, JsonNode?>
            {
                ["seed"] = config.Seed,
                ["elbo_draws"] = config.ElboDraws,
                ["beta"] = config.Beta,
                ["rewards"] = "none: ranking accuracies only",
            },
        };
    }

    /// <summary>
    /// Fills each model's ranking accuracy and each non-baseline model's implicit-reward accuracy; returns
    /// the baseline's per-pair error difference (winner − loser) and each model's per-pair ranking margin.
    /// </summary>
    /// <param name="cancel">Checked before each batch of pairs.</param>
    /// <param name="communicator">Processes that share the batches of pairs (null: this one does all).</param>
    private static RankedPairs RankHeldOutPairs<TModel>(IReadOnlyDictionary<string, TModel> models, string baseline,
        IReadOnlyList<PreferencePair> heldOutPairs, EvaluationConfig config, Dictionary<string, double> ranking,
        Dictionary<string, double> implicitAcc, IProgress<Progress>? progress, CancellationToken cancel,
        ICommunicator? communicator)
        where TModel : INoisePredictor
    {
        var shards = new EvaluationShards(communicator ?? SingleProcessCommunicator.Instance, PairBatch);
        shards.CheckSame(config, models.Keys, heldOutPairs.Count, "held-out pairs");
        var errors = new Dictionary<string, (double[] W, double[] L)>();
        var margins = new Dictionary<string, double[]>();
        foreach (var (name, model) in models)
        {
            var (w, l) = DenoisingErrors.Estimate(model, heldOutPairs, config.ElboDraws, config.Seed, PairBatch,
                new ImmediateProgress<int>(
                    d => progress?.Report(new Progress($"ranking {name}", d, heldOutPairs.Count))),
                cancel, shards.OwnsBatch);
            var all = shards.Gather(w, l);
            errors[name] = (all[0], all[1]);
            // Lower error on the winner = higher ELBO = the model ranks the winner above the loser.
            margins[name] = [.. errors[name].L.Zip(errors[name].W, (l, w) => l - w)];
            ranking[name] = RankingAccuracy.Compute(margins[name]).Accuracy;
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
        return new RankedPairs(refDelta, margins);
    }

    /// <summary>Held-out pairs per denoising-error batch (and per process's share under <c>mpirun</c>).</summary>
    private const int PairBatch = 32;

    /// <param name="ReferenceDelta">The baseline's per-pair error difference, winner − loser.</param>
    /// <param name="Margins">Per model, per pair, loser error − winner error (&gt; 0: ranked right).</param>
    private sealed record RankedPairs(double[] ReferenceDelta, Dictionary<string, double[]> Margins);

    /// <summary>
    /// Samples prompt i from initial noise index i under the evaluation seed, so every model sees the
    /// same x_T per sample.
    /// </summary>
    /// <param name="cancel">Checked before each sampling batch; a cancelled run throws and returns no images.</param>
    public static RgbImage[] Sample(INoisePredictor model, IReadOnlyList<ShapesPrompt> prompts,
        EvaluationConfig config, string name, IProgress<Progress>? progress, CancellationToken cancel = default)
    {
        var result = new RgbImage[prompts.Count];
        SampleBatches(model, prompts, config, name, progress, cancel, _ => true, result);
        return result;
    }

    /// <summary>
    /// <see cref="Sample"/> shared between processes: this one draws the batches <paramref name="shards"/> gives it,
    /// and the other samples stay null until their scores are gathered.
    /// </summary>
    internal static RgbImage?[] SampleShare(INoisePredictor model, IReadOnlyList<ShapesPrompt> prompts,
        EvaluationConfig config, string name, IProgress<Progress>? progress, CancellationToken cancel,
        EvaluationShards shards)
    {
        var result = new RgbImage?[prompts.Count];
        SampleBatches(model, prompts, config, name, progress, cancel, shards.OwnsBatch, result);
        return result;
    }

    /// <summary>
    /// Samples the batches <paramref name="draw"/> picks (by first sample) into <paramref name="result"/>, each
    /// as <see cref="Sample"/> draws it whichever others are drawn.
    /// </summary>
    private static void SampleBatches(INoisePredictor model, IReadOnlyList<ShapesPrompt> prompts,
        EvaluationConfig config, string name, IProgress<Progress>? progress, CancellationToken cancel,
        Func<int, bool> draw, RgbImage?[] result)
    {
        for (int start = 0; start < prompts.Count; start += config.BatchSize)
        {
            cancel.ThrowIfCancellationRequested();
            if (!draw(start)) continue;
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
    }

    /// <summary>
    /// The least reward resolution: differences below this are float noise, not preference, even when the
    /// measured <see cref="ScoreResolution"/> is smaller (two models whose weights differ by 1e-12 produce
    /// samples whose rewards differ by ~1e-9, which must count as ties, not wins).
    /// </summary>
    public const double RewardTieTolerance = ScoreResolution.DefaultFloor;
}
