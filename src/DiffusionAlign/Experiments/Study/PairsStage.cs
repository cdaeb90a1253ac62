using System.Diagnostics;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>One generated pair set: its source, prompt split and what its labels are like.</summary>
public sealed record PairSetStats(
    PairSource Source, PromptSet Split, int Count, double Tau, double Agreement, double ExpectedAgreement,
    double MeanReward, string Folder);

/// <summary>The pairs stage's saved result: the shared label temperature and every set.</summary>
public sealed record PairsStageResult(double Tau, List<PairSetStats> Sets, double Seconds);

/// <summary>
/// Stage 1: training, validation and test pairs from both sources, drawn from the Train, Validation and Test
/// prompts. The on-policy training pairs are made first and fix τ for 80% expected agreement; every other set is
/// labelled with that τ, so all regimes and splits share one labeller, as Pick-a-Pic's raters judged every
/// generator's images alike. Each set is a pairs folder; one already complete is kept, not redone. Under
/// <c>mpirun</c> the ranks share each set's sampling as <c>dalign pairs</c> does and rank 0 writes the folders.
/// </summary>
public static class PairsStage
{
    public static IReadOnlyList<(PairSource Source, PromptSet Split)> Sets { get; } =
    [
        (PairSource.Model, PromptSet.Train), (PairSource.Renderer, PromptSet.Train),
        (PairSource.Model, PromptSet.Validation), (PairSource.Renderer, PromptSet.Validation),
        (PairSource.Model, PromptSet.Test), (PairSource.Renderer, PromptSet.Test),
    ];

    /// <param name="log">Called by rank 0 only.</param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments (null: this one makes every set).
    /// </param>
    public static PairsStageResult Run(TextToImageModel baseModel, ShapesWorld world, StudyConfig config,
        StudyLayout layout, IProgress<StudyProgress>? progress, Action<string>? log, CancellationToken cancel,
        ICommunicator? communicator = null)
    {
        communicator ??= SingleProcessCommunicator.Instance;
        if (communicator.Rank != 0) log = null;
        var clock = Stopwatch.StartNew();
        int rendered = world.Renderer.Render(world.Renderer.SampleParams(world.Split.Train[0], new Random(0), 0))
            .Width;
        if (baseModel.Config.ImageSize != rendered)
            throw new DiffusionAlignException(
                $"the base model makes {baseModel.Config.ImageSize}-pixel images but the renderer's pairs are "
                + $"{rendered} pixels; the off-policy regime needs a {rendered}-pixel model");
        var stats = new List<PairSetStats>();
        double? tau = null;
        foreach (var (source, split) in Sets)
        {
            var set = Make(baseModel, world, config, layout, source, split, tau, progress, log, cancel,
                communicator);
            tau ??= set.Tau;
            stats.Add(set);
        }
        return new PairsStageResult(tau!.Value, stats, clock.Elapsed.TotalSeconds);
    }

    private static PairSetStats Make(TextToImageModel baseModel, ShapesWorld world, StudyConfig config,
        StudyLayout layout, PairSource source, PromptSet split, double? tau, IProgress<StudyProgress>? progress,
        Action<string>? log, CancellationToken cancel, ICommunicator communicator)
    {
        int count = split switch
        {
            PromptSet.Train => config.TrainPairs,
            PromptSet.Validation => config.ValidationPairs,
            _ => config.TestPairs,
        };
        string dir = layout.PairsFolder(source, split);
        string name = $"{source.Key()} pairs on {split.ToString().ToLowerInvariant()} prompts";
        // Rank 0 looks, so every rank agrees on what to make (and then samples its share of it).
        var done = communicator.FromRoot(() =>
            PairLabelInfo.TryLoad(dir) is { } info && info.Pairs == count
            && File.Exists(Path.Combine(dir, PairsFolder.PairsFileName)) ? info : null);
        if (done is not null)
        {
            log?.Invoke($"{name}: {count} pairs already made → {dir}");
            return new PairSetStats(source, split, count, done.Tau, done.Agreement, done.ExpectedAgreement,
                done.MeanReward, layout.Relative(dir));
        }
        var generation = new PairGenerationConfig(
            count, config.Seed + 10 * (int)split + (int)source, source, Tau: tau,
            TargetAgreement: config.LabelAgreement, Sampling: config.Sampling, PromptSet: split);
        var result = ShapesPairGenerator.Generate(source == PairSource.Model ? baseModel : null, world, generation,
            new ImmediateProgress<int>(d => progress?.Report(new StudyProgress("pairs", name, d, count))), cancel,
            communicator: communicator);
        if (communicator.Rank == 0)
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            PairsFolder.Write(dir, result.Pairs);
            // labels.json last: it marks the folder complete.
            PairLabelInfo.Save(dir, result);
        }
        log?.Invoke($"{name}: {count} pairs, τ={result.Tau:G3}, labels agree with the reward order on "
            + $"{result.Agreement:P0}, mean reward {result.MeanReward:F3} → {dir}");
        return new PairSetStats(source, split, count, result.Tau, result.Agreement, result.ExpectedAgreement,
            result.MeanReward, layout.Relative(dir));
    }

    /// <summary>
    /// The saved pair sets, read back from disk (so a resumed study trains on exactly the same bytes).
    /// </summary>
    public static StudyPairs Load(PairsStageResult result, StudyLayout layout)
    {
        var sets = new Dictionary<(PairSource, PromptSet), IReadOnlyList<PreferencePair>>();
        foreach (var set in result.Sets)
        {
            var (dataset, _) = PairsFolder.Read(layout.Resolve(set.Folder));
            if (dataset.Count != set.Count)
                throw new DiffusionAlignException(
                    $"{set.Folder} holds {dataset.Count} readable pairs, not {set.Count}; delete it to remake it");
            sets[(set.Source, set.Split)] = dataset;
        }
        return new StudyPairs(sets);
    }
}

/// <summary>The study's pair sets in memory, and each regime's view of them.</summary>
public sealed class StudyPairs(IReadOnlyDictionary<(PairSource, PromptSet), IReadOnlyList<PreferencePair>> sets)
{
    public IReadOnlyList<PreferencePair> Of(PairSource source, PromptSet split) =>
        sets.TryGetValue((source, split), out var pairs)
            ? pairs
            : throw new DiffusionAlignException($"no {source.Key()} pairs on {split} prompts");

    /// <summary>A regime's training pairs: the first pairs of each source its composition names.</summary>
    public PreferenceDataset Train(StudyRegime regime)
    {
        int count = Of(PairSource.Model, PromptSet.Train).Count;
        return new PreferenceDataset(regime.Composition(count)
            .SelectMany(c => Of(c.Source, PromptSet.Train).Take(c.Count)));
    }

    /// <summary>Both sources' pairs on a split, for ranking accuracies by source.</summary>
    public IReadOnlyDictionary<PairSource, IReadOnlyList<PreferencePair>> BySource(PromptSet split) =>
        new Dictionary<PairSource, IReadOnlyList<PreferencePair>>
        {
            [PairSource.Model] = Of(PairSource.Model, split),
            [PairSource.Renderer] = Of(PairSource.Renderer, split),
        };
}
