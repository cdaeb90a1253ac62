using System.Diagnostics;
using DiffusionAlign.Distributed;
using DiffusionAlign.Pipelines;

namespace DiffusionAlign.Experiments.Study;

/// <summary>One training seed of a chosen configuration, trained to the chosen step.</summary>
public sealed record Replicate(
    StudyRegime Regime, StudyFamily Family, GridPoint Point, int Step, long Seed, string Weights, bool FromGrid,
    double TrainSeconds);

/// <summary>The replicates stage's saved result.</summary>
public sealed record ReplicatesStageResult(List<Replicate> Replicates, int Trained, int Reused, double Seconds);

/// <summary>
/// Stage 4: each chosen configuration with <see cref="StudyConfig.Replicates"/> training seeds. A seed changes the
/// batch order, the noise and timesteps, and the prompt-dropout and flip draws; the grid's own run is the first
/// seed (the same recipe and seed would train the same weights), so only the others are trained. Under
/// <c>mpirun</c> those runs are dealt whole to the ranks (<see cref="RoundRobinRuns"/>).
/// </summary>
public static class ReplicatesStage
{
    /// <param name="log">Called by every rank once for each run it does.</param>
    /// <param name="communicator">The processes of an <c>mpirun</c> job (null: this one does every run).</param>
    public static ReplicatesStageResult Run(TextToImageModel baseModel, string baseModelDir, StudyConfig config,
        StudyLayout layout, StudyPairs pairs, SelectionResult selection, IProgress<StudyProgress>? progress,
        Action<string>? log, CancellationToken cancel, ICommunicator? communicator = null)
    {
        var clock = Stopwatch.StartNew();
        communicator ??= SingleProcessCommunicator.Instance;
        var ranks = new RoundRobinRuns(communicator);
        var done = new Dictionary<string, RunResult>();
        int trained = 0, reused = 0, index = 0;
        foreach (var choice in selection.Chosen)
        {
            var train = pairs.Train(choice.Regime);
            foreach (long seed in TrainedSeeds(config))
            {
                if (!ranks.Owns(index++)) continue;
                string runDir = layout.ReplicateRun(choice.Regime, choice.Family, seed);
                var run = StudyRun.Run(baseModel, baseModelDir, train, choice.Regime, choice.Point, config.Training,
                    seed, [choice.Step], layout, runDir, judge: null, "replicates", progress, cancel,
                    out bool wasDone);
                done[runDir] = run;
                if (wasDone) reused++;
                else trained++;
                log?.Invoke($"replicate {choice.Regime.Key()}/{choice.Point.Name} seed {seed} to step {choice.Step}: "
                    + (wasDone ? "already done" : $"trained {run.TrainSeconds:F0} s"));
            }
        }
        ranks.Finish();
        var replicates = new List<Replicate>();
        foreach (var choice in selection.Chosen)
        {
            replicates.Add(new Replicate(choice.Regime, choice.Family, choice.Point, choice.Step, config.Seed,
                choice.Weights, FromGrid: true, 0));
            foreach (long seed in TrainedSeeds(config))
            {
                var run = StudyRun.Result(layout.ReplicateRun(choice.Regime, choice.Family, seed), done,
                    communicator);
                var checkpoint = run.Checkpoints.Single();
                replicates.Add(new Replicate(choice.Regime, choice.Family, choice.Point, choice.Step, seed,
                    checkpoint.Weights, FromGrid: false, run.TrainSeconds));
            }
        }
        return new ReplicatesStageResult(replicates, ranks.Total(trained), ranks.Total(reused),
            clock.Elapsed.TotalSeconds);
    }

    /// <summary>The seeds trained here: all but the first, which is the grid's own run.</summary>
    private static IEnumerable<long> TrainedSeeds(StudyConfig config) =>
        Enumerable.Range(1, config.Replicates - 1).Select(k => config.Seed + k);
}
