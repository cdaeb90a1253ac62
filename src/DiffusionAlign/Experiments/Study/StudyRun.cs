using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Distributed;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// One saved checkpoint of a run: its step, weights (relative to the study folder) and (grid runs) its validation
/// metrics.
/// </summary>
public sealed record CheckpointResult(
    int Step, string Weights, CheckpointMetrics? Validation, double TrainSeconds, double EvaluationSeconds);

/// <summary>A finished run: what it trained, with which seed, each checkpoint's result, and its folder.</summary>
public sealed record RunResult(
    StudyRegime Regime, GridPoint Point, long Seed, int Steps, List<CheckpointResult> Checkpoints, string Folder)
{
    public double TrainSeconds => Checkpoints.Sum(c => c.TrainSeconds);

    public double EvaluationSeconds => Checkpoints.Sum(c => c.EvaluationSeconds);
}

/// <summary>
/// Trains one setting with one seed, saving the weights at each checkpoint step and judging them. Training runs in
/// segments, one per checkpoint, each resuming the trainer's checkpoint of the one before: the learning rate is
/// constant after warm-up, so a run stopped at step c is exactly the first c steps of a longer one. Everything
/// saved is reused: a run whose <c>run.json</c> exists is done; a checkpoint with a result is not judged again,
/// one with weights is not trained again; a killed segment resumes from the trainer's last checkpoint.
/// </summary>
public static class StudyRun
{
    /// <param name="judge">Judges a checkpoint's model (null: only train and save, as replicates do).</param>
    /// <param name="reused">Set when the run was already done and nothing was computed.</param>
    public static RunResult Run(TextToImageModel baseModel, string baseModelDir, PreferenceDataset train,
        StudyRegime regime, GridPoint point, StudyTraining training, long seed, IReadOnlyList<int> steps,
        StudyLayout layout, string runDir, Func<TextToImageModel, int, CheckpointMetrics>? judge, string stage,
        IProgress<StudyProgress>? progress, CancellationToken cancel, out bool reused)
    {
        string donePath = Path.Combine(runDir, StudyLayout.RunDoneFile);
        var done = StudyJson.TryLoad<RunResult>(donePath);
        reused = done is not null;
        if (done is not null) return done;

        string item = $"{regime.Key()}/{point.Name}/seed-{seed}";
        string trainerDir = Path.Combine(runDir, StudyLayout.TrainerCheckpointFolder);
        string metrics = Path.Combine(runDir, StudyLayout.MetricsFile);
        var recipe = point.Recipe(training, seed);
        using var policy = baseModel.Copy();
        var results = new List<CheckpointResult>();
        foreach (int step in steps)
        {
            cancel.ThrowIfCancellationRequested();
            string checkpointDir = StudyLayout.Checkpoint(runDir, step);
            string resultPath = Path.Combine(checkpointDir, StudyLayout.CheckpointResultFile);
            var saved = StudyJson.TryLoad<CheckpointResult>(resultPath);
            if (saved is not null)
            {
                results.Add(saved);
                continue;
            }
            string weights = Path.Combine(checkpointDir, StudyLayout.ModelFolder);
            var clock = Stopwatch.StartNew();
            TextToImageModel? loaded = null;
            if (File.Exists(Path.Combine(weights, TextToImageModel.ConfigFileName)))
            {
                loaded = TextToImageModel.Load(weights, baseModel.Device);
                loaded.Freeze();
            }
            else
            {
                // Steps = this checkpoint: the trainer stops there and keeps a checkpoint to continue from.
                PreferenceTrainer.Run(policy, train, recipe with { Steps = step }, trainerDir, metrics,
                    resume: TrainingCheckpoint.Exists(trainerDir),
                    new ImmediateProgress<TrainingStepReport>(r => progress?.Report(new StudyProgress(
                        stage, item, r.Step, training.Steps, $"training, loss {r.Loss:F4}"))),
                    cancel);
                policy.Freeze();
                policy.Save(weights, new Dictionary<string, string>
                {
                    ["aligned_from"] = baseModelDir,
                    ["study_regime"] = regime.Key(),
                    ["method"] = point.Name,
                    ["step"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["recipe"] = JsonSerializer.Serialize(recipe with { Steps = step }),
                });
            }
            double trainSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            CheckpointMetrics? metricsAtStep;
            try
            {
                metricsAtStep = judge?.Invoke(loaded ?? policy, step);
            }
            finally
            {
                loaded?.Dispose();
            }
            var result = new CheckpointResult(step, layout.Relative(weights), metricsAtStep, trainSeconds,
                clock.Elapsed.TotalSeconds);
            StudyJson.Save(resultPath, result);
            results.Add(result);
        }
        var run = new RunResult(regime, point, seed, training.Steps, results, layout.Relative(runDir));
        StudyJson.Save(donePath, run);
        // The trainer's state (policy, reference, optimizer) only served to continue a killed run.
        if (Directory.Exists(trainerDir)) Directory.Delete(trainerDir, recursive: true);
        return run;
    }

    /// <summary>
    /// A finished run's result on every process: alone, the one <paramref name="computed"/> holds; under
    /// <c>mpirun</c> (after <see cref="RoundRobinRuns.Finish"/>), its <c>run.json</c> as rank 0 reads it, so every
    /// rank goes on from the same values whichever rank made the run.
    /// </summary>
    /// <param name="computed">This process's runs by folder.</param>
    /// <exception cref="DiffusionAlignException">Rank 0 cannot see the run's result.</exception>
    public static RunResult Result(string runDir, IReadOnlyDictionary<string, RunResult> computed,
        ICommunicator world)
    {
        if (world.Size == 1) return computed[runDir];
        return StudyJson.TryLoad<RunResult>(Path.Combine(runDir, StudyLayout.RunDoneFile), world)
            ?? throw new DiffusionAlignException(
                $"{runDir} has no {StudyLayout.RunDoneFile} although its rank finished it: the study folder must be "
                + "on a file system every rank sees");
    }
}
