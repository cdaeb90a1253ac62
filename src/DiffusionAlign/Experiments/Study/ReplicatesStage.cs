using System.Diagnostics;
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
/// seed (the same recipe and seed would train the same weights), so only the others are trained.
/// </summary>
public static class ReplicatesStage
{
    public static ReplicatesStageResult Run(TextToImageModel baseModel, string baseModelDir, StudyConfig config,
        StudyLayout layout, StudyPairs pairs, SelectionResult selection, IProgress<StudyProgress>? progress,
        Action<string>? log, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var replicates = new List<Replicate>();
        int trained = 0, reused = 0;
        foreach (var choice in selection.Chosen)
        {
            var train = pairs.Train(choice.Regime);
            for (int k = 0; k < config.Replicates; k++)
            {
                long seed = config.Seed + k;
                if (k == 0)
                {
                    replicates.Add(new Replicate(choice.Regime, choice.Family, choice.Point, choice.Step, seed,
                        choice.Weights, FromGrid: true, 0));
                    continue;
                }
                string runDir = layout.ReplicateRun(choice.Regime, choice.Family, seed);
                var run = StudyRun.Run(baseModel, baseModelDir, train, choice.Regime, choice.Point, config.Training,
                    seed, [choice.Step], layout, runDir, judge: null, "replicates", progress, cancel,
                    out bool wasDone);
                if (wasDone) reused++;
                else trained++;
                var checkpoint = run.Checkpoints.Single();
                replicates.Add(new Replicate(choice.Regime, choice.Family, choice.Point, choice.Step, seed,
                    checkpoint.Weights, FromGrid: false, run.TrainSeconds));
                log?.Invoke($"replicate {choice.Regime.Key()}/{choice.Point.Name} seed {seed} to step {choice.Step}: "
                    + (wasDone ? "already done" : $"trained {run.TrainSeconds:F0} s"));
            }
        }
        return new ReplicatesStageResult(replicates, trained, reused, clock.Elapsed.TotalSeconds);
    }
}
