using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>Per pair, the mean denoising error of winner and loser (matched (t, ε) draws).</summary>
public sealed record PairErrors(double[] Winner, double[] Loser);

/// <summary>
/// What one model did on one prompt set, per sample: reward, second judge, how far each moves under requantisation
/// (for the tie resolution), and per pair source the denoising errors on that split's pairs. Sample i is prompt
/// <c>i / Seeds</c> from noise index i, the same for every model (<see cref="EvaluationPrompts"/>), so any two
/// models' samples pair up; kept per sample so seeds can be pooled and any comparison recomputed later.
/// </summary>
public sealed record ModelSamples
{
    public PromptSet PromptSet { get; init; }

    public int Prompts { get; init; }

    public int Seeds { get; init; }

    public long EvaluationSeed { get; init; }

    public double[] Reward { get; init; } = [];

    public double[] Judge { get; init; } = [];

    public double[] RewardJitter { get; init; } = [];

    public double[] JudgeJitter { get; init; } = [];

    public double ColourAccuracy { get; init; }

    public Dictionary<PairSource, PairErrors> Errors { get; init; } = new();

    /// <summary>‖θ − θ_ref‖ / ‖θ_ref‖ of the model, where the caller measured it.</summary>
    public double? Distance { get; init; }

    /// <summary>Seconds the sampling, scoring and ranking took.</summary>
    public double Seconds { get; init; }

    /// <summary>Samples <paramref name="model"/> on the configuration's prompt set and ranks the given pairs.</summary>
    /// <param name="cancel">Checked before each sampling and ranking batch.</param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments: they share the sampling batches
    /// and the batches of pairs as <c>dalign eval</c> does, and every one returns the values one process alone
    /// returns (<see cref="Seconds"/> aside). Null (or a group of one): this process does all of it.
    /// </param>
    public static ModelSamples Measure(TextToImageModel model, ShapesWorld world, EvaluationConfig config,
        IReadOnlyDictionary<PairSource, IReadOnlyList<PreferencePair>> pairs, string name,
        IProgress<StudyProgress>? progress, CancellationToken cancel, ICommunicator? communicator = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        communicator ??= SingleProcessCommunicator.Instance;
        var plan = EvaluationPrompts.Select(world.Split, config);
        string stage = EvaluationPrompts.Name(config.PromptSet);
        var samples = new EvaluationShards(communicator, config.BatchSize);
        samples.CheckSame(config, [name], plan.Samples.Count, "samples");
        var images = AlignmentEvaluator.SampleShare(model, plan.Samples, config, name,
            new ImmediateProgress<AlignmentEvaluator.Progress>(
                p => progress?.Report(new StudyProgress(stage, name, p.Done, p.Total, "sampling"))),
            cancel, samples);
        var scores = samples.Gather(SampleScores.Of(world, plan.Samples, images, config.Seed, cancel));
        var pairShards = new EvaluationShards(communicator, PairBatch);
        var errors = new Dictionary<PairSource, PairErrors>();
        foreach (var (source, set) in pairs)
        {
            var (w, l) = DenoisingErrors.Estimate(model, set, config.ElboDraws, config.Seed, PairBatch,
                new ImmediateProgress<int>(d => progress?.Report(
                    new StudyProgress(stage, name, d, set.Count, $"ranking {source.Key()} pairs"))),
                cancel, pairShards.OwnsBatch);
            var all = pairShards.Gather(w, l);
            errors[source] = new PairErrors(all[0], all[1]);
        }
        return new ModelSamples
        {
            PromptSet = config.PromptSet,
            Prompts = plan.Prompts.Count,
            Seeds = plan.Seeds,
            EvaluationSeed = config.Seed,
            Reward = scores.Reward,
            Judge = scores.Judge,
            RewardJitter = scores.RewardJitter,
            JudgeJitter = scores.JudgeJitter,
            ColourAccuracy = scores.ColourAccuracy,
            Errors = errors,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Held-out pairs per denoising-error batch (and the unit shared between processes).</summary>
    private const int PairBatch = 32;

    /// <summary>The prompt plan these samples follow, rebuilt from the world's split.</summary>
    public EvaluationPrompts Plan(ShapesWorld world) =>
        new(PromptSet, [.. world.Split.Of(PromptSet).Take(Prompts)], Seeds, Prompts);

    /// <summary>Whether <paramref name="other"/> sampled the same prompts from the same noises.</summary>
    public bool PairsWith(ModelSamples other) =>
        PromptSet == other.PromptSet && Prompts == other.Prompts && Seeds == other.Seeds
        && EvaluationSeed == other.EvaluationSeed && Reward.Length == other.Reward.Length;
}
