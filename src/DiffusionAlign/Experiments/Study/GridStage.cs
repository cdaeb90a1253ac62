using System.Diagnostics;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>The base model on a prompt set, for each regime: the reference every checkpoint is compared with.</summary>
public sealed record BaseReference(
    StudyRegime Regime, double MeanReward, double MeanJudge, double ColourAccuracy, double RankingAccuracy,
    Dictionary<PairSource, double> RankingAccuracyBySource);

/// <summary>The grid stage's saved result: every run with every checkpoint's validation metrics.</summary>
public sealed record GridStageResult(
    List<RunResult> Runs, List<BaseReference> Base, int Trained, int Reused, double Seconds);

/// <summary>
/// Stage 2: every grid point of every regime, trained with the study's seed and judged at each checkpoint on the
/// validation prompts and pairs against the base (whose validation samples are made once and kept). Under
/// <c>mpirun</c> the base's samples are shared in batches and the runs are dealt whole to the ranks
/// (<see cref="RoundRobinRuns"/>), each trained and judged as one process does it.
/// </summary>
public static class GridStage
{
    /// <param name="log">
    /// Called by rank 0 for everything, and by every other rank once for each run it does.
    /// </param>
    /// <param name="communicator">The processes of an <c>mpirun</c> job (null: this one does every run).</param>
    public static GridStageResult Run(TextToImageModel baseModel, string baseModelDir, ShapesWorld world,
        StudyConfig config, StudyLayout layout, StudyPairs pairs, IProgress<StudyProgress>? progress,
        Action<string>? log, CancellationToken cancel, ICommunicator? communicator = null)
    {
        var clock = Stopwatch.StartNew();
        communicator ??= SingleProcessCommunicator.Instance;
        var rootLog = communicator.Rank == 0 ? log : null;
        var evaluation = config.ValidationEvaluation();
        var validationPairs = pairs.BySource(PromptSet.Validation);
        var baseSamples = BaseSamples.Get(baseModel, world, evaluation, validationPairs, layout, progress, rootLog,
            cancel, communicator);
        var distance = new ParameterDistance(baseModel);
        var steps = config.Training.CheckpointSteps();
        var points = config.Grid.Points();
        var ranks = new RoundRobinRuns(communicator);
        var done = new Dictionary<string, RunResult>();
        int trained = 0, reused = 0, total = config.Regimes.Length * points.Count, index = 0;
        foreach (var regime in config.Regimes)
        {
            var train = pairs.Train(regime);
            foreach (var point in points)
            {
                string runDir = layout.GridRun(regime, point);
                string name = $"{regime.Key()}/{point.Name}";
                if (!ranks.Owns(index++)) continue;
                CheckpointMetrics Judge(TextToImageModel model, int step)
                {
                    var samples = ModelSamples.Measure(model, world, evaluation, validationPairs,
                        $"{name} step {step}", progress, cancel);
                    StudyJson.Save(Path.Combine(StudyLayout.Checkpoint(runDir, step), StudyLayout.SamplesFile),
                        samples);
                    var metrics = CheckpointMetrics.Compare(samples, baseSamples, regime, config.ValidationPairs,
                        distance.From(model), world, config.BootstrapResamples);
                    rootLog?.Invoke($"  {name} step {step}: validation win rate {Describe(metrics.WinRate)}, "
                        + $"ranking acc. {metrics.RankingAccuracy:F3}, implicit acc. "
                        + $"{metrics.ImplicitRewardAccuracy:F3}, distance {metrics.Distance:G3}");
                    return metrics;
                }
                var run = StudyRun.Run(baseModel, baseModelDir, train, regime, point, config.Training, config.Seed,
                    steps, layout, runDir, Judge, "grid", progress, cancel, out bool wasDone);
                done[runDir] = run;
                if (wasDone) reused++;
                else trained++;
                log?.Invoke($"grid {index}/{total} {name}: "
                    + (wasDone
                        ? "already done"
                        : $"trained {run.TrainSeconds:F0} s, judged {run.EvaluationSeconds:F0} s")
                    + $" ({clock.Elapsed.TotalMinutes:F1} min into the stage)");
            }
        }
        ranks.Finish();
        var runs = config.Regimes.SelectMany(regime => points.Select(point => layout.GridRun(regime, point)))
            .Select(runDir => StudyRun.Result(runDir, done, communicator))
            .ToList();
        var references = config.Regimes.Select(regime =>
        {
            var (own, bySource) = CheckpointMetrics.BaseRanking(baseSamples, regime, config.ValidationPairs);
            return new BaseReference(regime, baseSamples.Reward.Average(), baseSamples.Judge.Average(),
                baseSamples.ColourAccuracy, own, bySource);
        }).ToList();
        return new GridStageResult(runs, references, ranks.Total(trained), ranks.Total(reused),
            clock.Elapsed.TotalSeconds);
    }

    public static string Describe(Evaluation.WinRateEntry entry) =>
        $"{entry.Rate:F3} [{entry.ClusteredCiLow ?? entry.CiLow:F3}, {entry.ClusteredCiHigh ?? entry.CiHigh:F3}]";
}
