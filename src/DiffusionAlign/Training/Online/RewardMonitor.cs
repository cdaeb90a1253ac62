// Fresh samples of a policy on fixed prompts and noise, scored by a learned reward and by the true reward.
using System.Text.Json.Serialization;
using DiffusionAlign.Data;
using DiffusionAlign.Evaluation.Statistics;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Training.Online;

/// <summary>One policy's monitor images, scored two ways (in the order of <see cref="RewardMonitor.Prompts"/>).
/// </summary>
public sealed record MonitorScores(
    [property: JsonPropertyName("learned")] IReadOnlyList<double> Learned,
    [property: JsonPropertyName("true")] IReadOnlyList<double> True)
{
    [JsonIgnore]
    public RewardMeans Means => new(Learned.Average(), True.Average());

    /// <summary>Spearman's rank correlation of the two rewards over the images; null if either is constant.</summary>
    [JsonIgnore]
    public double? Spearman => Correlation.Spearman(Learned, True);
}

/// <summary>
/// Watches a policy for reward hacking: samples it on the same training prompts from the same initial noise every
/// time (so two policies are compared on paired draws) and scores the images with a learned reward model and with
/// the world's true reward.
/// </summary>
public sealed class RewardMonitor
{
    /// <summary>Images sampled per batch.</summary>
    private const int Batch = 64;

    private readonly ShapesTrueReward _truth;
    private readonly SamplingOptions _sampling;
    private readonly long _noiseSeed;

    /// <param name="seed">Fixes the prompts (drawn from the training split with replacement) and the noise.</param>
    public RewardMonitor(ShapesWorld world, int count, SamplingOptions sampling, long seed)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        sampling.Validate();
        _truth = new ShapesTrueReward(world);
        _sampling = sampling;
        _noiseSeed = StepSeeds.Mix(seed, 1, StepSeeds.Stream.Evaluation);
        var pool = world.Split.Of(PromptSet.Train);
        var rng = StepSeeds.Managed(seed, 0, StepSeeds.Stream.Evaluation);
        Prompts = Enumerable.Range(0, count).Select(_ => pool[rng.Next(pool.Count)].ToString()).ToArray();
    }

    public IReadOnlyList<string> Prompts { get; }

    /// <summary>Samples <paramref name="policy"/> (frozen by the caller) and scores its images.</summary>
    public MonitorScores Measure(TextToImageModel policy, IRewardModel learned)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(learned);
        var images = new List<RgbImage>(Prompts.Count);
        for (int start = 0; start < Prompts.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(Batch, Prompts.Count - start);
            var noise = TextToImageSampler.InitialNoise(n, policy.SampleShape(), _noiseSeed, start);
            var samples = TextToImageSampler.Generate(policy, Prompts.Skip(start).Take(n).ToList(), noise, _sampling,
                _noiseSeed + start);
            images.AddRange(ImageTensors.ToImages(samples.cpu()));
        }
        return new MonitorScores(learned.Score(Prompts, images), _truth.Score(Prompts, images));
    }
}
