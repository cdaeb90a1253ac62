using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Data.Generation;

/// <summary>
/// Makes Pick-a-Pic-style preference pairs in the shapes world: two images per prompt, scored by
/// the hidden reward (or another <see cref="IRewardModel"/>), labelled by a Bradley–Terry draw so labels are noisy
/// like human ones.
/// </summary>
public static class ShapesPairGenerator
{
    /// <summary>
    /// Makes <see cref="PairGenerationConfig.Count"/> labelled pairs from the model's samples or the world's
    /// renderer, as <see cref="PairGenerationConfig.Source"/> says.
    /// </summary>
    /// <param name="cancel">
    /// Checked before each sampling batch (every 256 renders): a cancelled run throws
    /// <see cref="OperationCanceledException"/> and returns no pairs.
    /// </param>
    /// <param name="labeler">
    /// The reward model whose scores the labels are drawn from; null is the world's true reward. τ is chosen on
    /// the labeler's own scores (its own gaps set <see cref="PairGenerationConfig.TargetAgreement"/>), so a model
    /// with another scale gets labels as noisy as the true reward's would be.
    /// </param>
    public static PairGenerationResult Generate(
        TextToImageModel? model, ShapesWorld world, PairGenerationConfig config, IProgress<int>? progress = null,
        CancellationToken cancel = default, IRewardModel? labeler = null)
    {
        config.Validate();
        if (config.Source == PairSource.Model && model is null)
            throw new ArgumentNullException(nameof(model), "model pairs need a model");
        var pool = world.Split.Of(config.EffectivePromptSet);
        var promptRng = StepSeeds.Managed(config.Seed, 0, StepSeeds.Stream.Data);
        var prompts = Enumerable.Range(0, config.Count).Select(_ => pool[promptRng.Next(pool.Count)]).ToList();

        var first = new RgbImage[config.Count];
        var second = new RgbImage[config.Count];
        if (config.Source == PairSource.Model)
            SampleFromModel(model!, prompts, config, first, second, progress, cancel);
        else
            RenderPairs(world, prompts, config, first, second, progress, cancel);

        var trueA = new double[config.Count];
        var trueB = new double[config.Count];
        for (int i = 0; i < config.Count; i++)
        {
            trueA[i] = world.Reward.Score(prompts[i], first[i]);
            trueB[i] = world.Reward.Score(prompts[i], second[i]);
        }
        var texts = prompts.Select(p => p.ToString()).ToArray();
        double[] rewardsA = labeler is null ? trueA : labeler.Score(texts, first);
        double[] rewardsB = labeler is null ? trueB : labeler.Score(texts, second);
        var gaps = rewardsA.Zip(rewardsB, (a, b) => a - b).ToList();
        double tau = config.Tau ?? BradleyTerry.TemperatureForAgreement(gaps, config.TargetAgreement);

        var labels = StepSeeds.Managed(config.Seed, 0, StepSeeds.Stream.Labels);
        var pairs = new List<PreferencePair>(config.Count);
        double agreement = 0, expected = 0, trueAgreement = 0;
        for (int i = 0; i < config.Count; i++)
        {
            bool firstWins = BradleyTerry.Label(rewardsA[i], rewardsB[i], tau, labels);
            double trueGap = firstWins ? trueA[i] - trueB[i] : trueB[i] - trueA[i];
            trueAgreement += trueGap > 0 ? 1 : trueGap == 0 ? 0.5 : 0;
            double rw = firstWins ? rewardsA[i] : rewardsB[i];
            double rl = firstWins ? rewardsB[i] : rewardsA[i];
            agreement += rw > rl ? 1 : rw == rl ? 0.5 : 0;
            expected += BradleyTerry.Probability(Math.Abs(gaps[i]), 0, tau);
            pairs.Add(new PreferencePair(
                prompts[i].ToString(),
                firstWins ? first[i] : second[i],
                firstWins ? second[i] : first[i],
                BradleyTerry.Probability(rw, rl, tau)));
        }
        // The true reward's mean, whoever labels: it says how good the images are on the world's own scale.
        double meanReward = (trueA.Sum() + trueB.Sum()) / (2.0 * config.Count);
        var result = new PairGenerationResult(
            pairs, tau, agreement / config.Count, expected / config.Count, meanReward);
        return labeler is null ? result
            : result with { Labeler = labeler.Name, TrueRewardAgreement = trueAgreement / config.Count };
    }

    /// <summary>
    /// Pairs whose winner is a clean render and whose loser is a flawed render of the same training
    /// prompt: unambiguous preferences for tests and timing runs, at any image size.
    /// </summary>
    public static List<PreferencePair> CleanVersusFlawed(ShapesWorld world, int count, int size, int seed)
    {
        var rng = new Random(seed);
        var pairs = new List<PreferencePair>(count);
        for (int i = 0; i < count; i++)
        {
            var prompt = world.Split.Train[rng.Next(world.Split.Train.Count)];
            var clean = world.Renderer.Render(world.Renderer.SampleParams(prompt, rng, 0.0), size);
            var flawed = world.Renderer.Render(world.Renderer.SampleParams(prompt, rng, 1.0), size);
            pairs.Add(new PreferencePair(prompt.ToString(), clean, flawed));
        }
        return pairs;
    }

    private static void SampleFromModel(
        TextToImageModel model, IReadOnlyList<ShapesPrompt> prompts, PairGenerationConfig config,
        RgbImage[] first, RgbImage[] second, IProgress<int>? progress, CancellationToken cancel)
    {
        // Both images of a pair come from the same prompt with different initial noise; noise index
        // 2i and 2i+1 keeps every pair reproducible regardless of batch size.
        int perBatch = Math.Max(1, config.BatchSize / 2);
        for (int start = 0; start < prompts.Count; start += perBatch)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int n = Math.Min(perBatch, prompts.Count - start);
            var texts = new List<string>(2 * n);
            for (int i = 0; i < n; i++) texts.Add(prompts[start + i].ToString());
            for (int i = 0; i < n; i++) texts.Add(prompts[start + i].ToString());
            var noiseA = TextToImageSampler.InitialNoise(
                n, model.SampleShape(), config.Seed, 2 * start, indexStride: 2);
            var noiseB = TextToImageSampler.InitialNoise(
                n, model.SampleShape(), config.Seed, 2 * start + 1, indexStride: 2);
            var images = TextToImageSampler.Generate(
                model, texts, cat(new[] { noiseA, noiseB }, 0), config.EffectiveSampling, config.Seed + start);
            var decoded = ImageTensors.ToImages(images.cpu());
            for (int i = 0; i < n; i++)
            {
                first[start + i] = decoded[i];
                second[start + i] = decoded[n + i];
            }
            progress?.Report(start + n);
        }
    }

    private static void RenderPairs(
        ShapesWorld world, IReadOnlyList<ShapesPrompt> prompts, PairGenerationConfig config,
        RgbImage[] first, RgbImage[] second, IProgress<int>? progress, CancellationToken cancel)
    {
        for (int i = 0; i < prompts.Count; i++)
        {
            // A render takes microseconds, so every 256th is soon enough to stop on.
            if (i % 256 == 0) cancel.ThrowIfCancellationRequested();
            var rng = StepSeeds.Managed(config.Seed, i, StepSeeds.Stream.Sampling);
            first[i] = world.Renderer.Render(world.Renderer.SampleParams(prompts[i], rng, config.FlawProbability));
            second[i] = world.Renderer.Render(world.Renderer.SampleParams(prompts[i], rng, config.FlawProbability));
            if ((i + 1) % 256 == 0 || i + 1 == prompts.Count) progress?.Report(i + 1);
        }
    }
}
