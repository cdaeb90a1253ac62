using System.Text.Json;
using DiffusionAlign.Distributed;
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
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments: they share the sampling (or
    /// rendering) in whole batches (<see cref="RoundRobinBatches"/>), every process then holds every image, and each
    /// returns the pairs one process alone returns. Null (or a group of one): this process makes all of them.
    /// </param>
    public static PairGenerationResult Generate(
        TextToImageModel? model, ShapesWorld world, PairGenerationConfig config, IProgress<int>? progress = null,
        CancellationToken cancel = default, IRewardModel? labeler = null, ICommunicator? communicator = null)
    {
        config.Validate();
        if (config.Source == PairSource.Model && model is null)
            throw new ArgumentNullException(nameof(model), "model pairs need a model");
        communicator ??= SingleProcessCommunicator.Instance;
        CheckSame(communicator, config, model);
        var pool = world.Split.Of(config.EffectivePromptSet);
        var promptRng = StepSeeds.Managed(config.Seed, 0, StepSeeds.Stream.Data);
        var prompts = Enumerable.Range(0, config.Count).Select(_ => pool[promptRng.Next(pool.Count)]).ToList();

        var first = new RgbImage[config.Count];
        var second = new RgbImage[config.Count];
        var batches = new RoundRobinBatches(communicator,
            config.Source == PairSource.Model ? ModelBatch(config) : RenderBatch);
        if (config.Source == PairSource.Model)
            SampleFromModel(model!, prompts, config, first, second, progress, cancel, batches.OwnsBatch);
        else
            RenderPairs(world, prompts, config, first, second, progress, cancel, batches.OwnsBatch);
        int side = config.Source == PairSource.Model ? model!.Config.ImageSize : ShapesRenderer.DefaultSize;
        GatherImages(batches, first, second, side);

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

    /// <summary>Pairs per sampling batch: two images each.</summary>
    private static int ModelBatch(PairGenerationConfig config) => Math.Max(1, config.BatchSize / 2);

    /// <summary>Renders between two checks for a stop request (a render takes microseconds).</summary>
    private const int RenderBatch = 256;

    private static void SampleFromModel(
        TextToImageModel model, IReadOnlyList<ShapesPrompt> prompts, PairGenerationConfig config,
        RgbImage[] first, RgbImage[] second, IProgress<int>? progress, CancellationToken cancel,
        Func<int, bool> draw)
    {
        // Both images of a pair come from the same prompt with different initial noise; noise index
        // 2i and 2i+1 keeps every pair reproducible regardless of batch size.
        int perBatch = ModelBatch(config);
        for (int start = 0; start < prompts.Count; start += perBatch)
        {
            if (!draw(start)) continue;
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
        RgbImage[] first, RgbImage[] second, IProgress<int>? progress, CancellationToken cancel,
        Func<int, bool> draw)
    {
        for (int start = 0; start < prompts.Count; start += RenderBatch)
        {
            if (!draw(start)) continue;
            cancel.ThrowIfCancellationRequested();
            int end = Math.Min(start + RenderBatch, prompts.Count);
            for (int i = start; i < end; i++)
            {
                var rng = StepSeeds.Managed(config.Seed, i, StepSeeds.Stream.Sampling);
                first[i] = world.Renderer.Render(
                    world.Renderer.SampleParams(prompts[i], rng, config.FlawProbability));
                second[i] = world.Renderer.Render(
                    world.Renderer.SampleParams(prompts[i], rng, config.FlawProbability));
            }
            progress?.Report(end);
        }
    }

    /// <summary>
    /// Every pair's images on every process, each copied from the process that drew it (alone: nothing to do).
    /// </summary>
    private static void GatherImages(RoundRobinBatches batches, RgbImage[] first, RgbImage[] second, int side)
    {
        int pixels = side * side * 3;
        batches.AllGather<float>(first.Length, 2 * pixels,
            (i, values) =>
            {
                first[i].Pixels.AsSpan().CopyTo(values[..pixels]);
                second[i].Pixels.AsSpan().CopyTo(values[pixels..]);
            },
            (i, values) =>
            {
                first[i] = new RgbImage(side, side, values[..pixels].ToArray());
                second[i] = new RgbImage(side, side, values[pixels..].ToArray());
            });
    }

    /// <summary>
    /// Throws unless every process makes the same pairs from the same model: a rank with other flags would fill its
    /// batches with another run's images.
    /// </summary>
    private static void CheckSame(ICommunicator communicator, PairGenerationConfig config, TextToImageModel? model)
    {
        if (communicator.Size == 1) return;
        var settings = JsonSerializer.SerializeToUtf8Bytes(new { config, side = model?.Config.ImageSize });
        communicator.CheckSame(BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(settings)),
            "the pairs' settings");
    }
}
