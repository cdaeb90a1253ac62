using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Distributed;
using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// Fine-tunes a policy UNet (all its weights, or LoRA adapters on its attention) on preference pairs
/// against a frozen reference, with the objective of an <see cref="AlignConfig"/>. The reference is a
/// frozen copy of the starting model, or with adapters the policy itself with them disabled. Each optimizer
/// step: for each micro-batch, <see cref="PreferenceStep"/> (noised pairs → reference → policy →
/// objective) and backward; then clip → AdamW step (<see cref="FlatAdamW"/>) → log → observer → checkpoint.
/// The text encoder stays frozen (unless it carries adapters), as in Diffusion-DPO.
/// <para>
/// Data parallel, given a communicator of N processes (<c>mpirun -np N</c>): every process starts from rank 0's
/// weights, trains its own <see cref="AlignConfig.BatchSize"/> pairs of each global micro-batch of N × that (the
/// pairs, in the order, and with the draws one process training all of them would take: <see cref="BatchShard"/>),
/// and before clipping the flat gradient buffer is averaged over the processes by one all-reduce per optimizer step,
/// so clipping sees the global norm and every process takes the same update. Logged metrics are averaged too; only
/// rank 0 writes metrics, checkpoints, progress and the observer's output. Every process reads the checkpoint to
/// resume, so the checkpoint folder must be one all of them see (any folder on one machine).
/// </para>
/// </summary>
public static class PreferenceTrainer
{
    private const string CheckpointKind = "align";

    /// <summary>
    /// Logged name of the gradients' joint 2-norm before clipping (mean over the logged steps that were applied).
    /// </summary>
    public const string GradNorm = "grad_norm";

    /// <summary>Logged names of the step's mean loss, its learning rate and the pairs trained per second.</summary>
    public const string LossName = "loss", LearningRateName = "lr", ThroughputName = "pairs_per_second";

    /// <summary>
    /// Trains <paramref name="policy"/> in place. Metrics go to <paramref name="metricsPath"/> (JSON
    /// lines, one per logged step); a resumable checkpoint is kept in <paramref name="checkpointDir"/>.
    /// Returns the number of the last completed step (less than <see cref="AlignConfig.Steps"/> only
    /// with <see cref="AlignConfig.StopAfter"/>). An <paramref name="observer"/> (e.g.
    /// <see cref="TensorBoardLogger"/>) sees every logged step and the policy after every step. With a
    /// <paramref name="world"/> of more than one process (which <see cref="AlignConfig.DataParallelProcesses"/> must
    /// name) the run is data parallel; without one the process trains alone.
    /// </summary>
    public static int Run(
        TextToImageModel policy, PreferenceDataset pairs, AlignConfig config, string checkpointDir,
        string metricsPath, bool resume, IProgress<TrainingStepReport>? progress = null,
        CancellationToken cancel = default, ITrainingObserver? observer = null, ICommunicator? world = null) =>
        Train(policy, pairs.Count, (reference, objective, indices, micro, shard) =>
                PreferenceStep.Run(policy, reference, objective, indices.Select(i => pairs[i]).ToList(), config, micro,
                    shard),
            config, checkpointDir, metricsPath, resume, progress, cancel, observer, world);

    /// <summary>
    /// The same on pairs from a latent cache made with the policy's VAE: the same steps as on the images it
    /// encodes, without running the encoder.
    /// </summary>
    public static int Run(
        TextToImageModel policy, LatentPairCache pairs, AlignConfig config, string checkpointDir,
        string metricsPath, bool resume, IProgress<TrainingStepReport>? progress = null,
        CancellationToken cancel = default, ITrainingObserver? observer = null, ICommunicator? world = null)
    {
        pairs.CheckFits(policy);
        return Train(policy, pairs.Count, (reference, objective, indices, micro, shard) =>
                PreferenceStep.Run(policy, reference, objective, pairs, indices, config, micro, shard),
            config, checkpointDir, metricsPath, resume, progress, cancel, observer, world);
    }

    /// <summary>The loop, given how to compute one micro-batch's objective from its pair indices.</summary>
    private static int Train(
        TextToImageModel policy, int pairCount,
        Func<TextToImageModel?, IPreferenceObjective, IReadOnlyList<int>, long, BatchShard, ObjectiveOutput> microBatch,
        AlignConfig config, string checkpointDir, string metricsPath, bool resume,
        IProgress<TrainingStepReport>? progress, CancellationToken cancel, ITrainingObserver? observer,
        ICommunicator? world)
    {
        config.Validate();
        world ??= SingleProcessCommunicator.Instance;
        if (config.DataParallelProcesses != world.Size)
            throw new InvalidSettingException(nameof(AlignConfig.DataParallelProcesses),
                $"is {config.DataParallelProcesses}, but {world.Size} processes train");
        bool root = world.Rank == 0;
        if (!root)
        {
            progress = null;
            observer = null;
        }
        world.CheckSame(pairCount, "the number of pairs");
        world.CheckSame(SettingsHash(config), "the run's settings");
        var objective = config.CreateObjective();
        Prepare(policy, config);
        // Every process starts from rank 0's weights (the reference, copied next, too).
        if (world.Size > 1)
            foreach (var p in policy.TrainableParameters()) world.Broadcast(p);
        // With adapters the reference is the policy itself with them off: no second copy of the UNet.
        using var copy = objective.NeedsReference && !policy.HasAdapters ? policy.Copy() : null;
        copy?.Freeze();
        var reference = objective.NeedsReference ? copy ?? policy : null;
        using var optimizer = new FlatAdamW(policy.TrainableParameters(), config.OptimizerSettings());
        var schedule = config.Schedule();
        var shard = BatchShard.ForRank(world.Rank, world.Size, config.BatchSize);
        var batches = new PairBatchSchedule(pairCount, shard.GlobalCount, config.Seed);
        if (resume && !TrainingCheckpoint.Exists(checkpointDir))
            throw new DiffusionAlignException($"nothing to resume in {checkpointDir}: it holds no checkpoint");
        int start = resume ? Resume(policy, reference, optimizer, config, checkpointDir, metricsPath, root) : 0;
        world.CheckSame(start, "the step to resume from");
        using var log = new MetricsLog(metricsPath, append: start > 0, writes: root);
        observer?.RunStarted(start, config.Steps);

        int last = start;
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why); an Int32, as `loss / GradAccum` passed.
        using var accumulation = config.GradAccum.ToScalar();
        bool cancelled = false;
        int nonFiniteInARow = 0;
        for (int step = start; step < config.Steps; step++)
        {
            // A stop request ends the run between steps, with a checkpoint of the last finished one.
            // Every process stops at the same step, or the others would wait for it in the next all-reduce.
            if (world.Any(cancel.IsCancellationRequested))
            {
                cancelled = true;
                break;
            }
            if (config.StopAfter is int stop && step - start >= stop) break;
            optimizer.LearningRate = schedule.At(step);
            optimizer.ZeroGrad();
            for (int k = 0; k < config.GradAccum; k++)
            {
                using var scope = NewDisposeScope();
                long micro = (long)step * config.GradAccum + k;
                var output = microBatch(reference, objective, shard.Pairs(batches.Batch(micro)), micro, shard);
                output.Loss.div(accumulation).backward();
                log.Accumulate(output, config.GradAccum);
            }
            // The global batch's mean gradient, before clipping: every process then clips and steps alike.
            optimizer.AverageGradients(world);
            // A non-finite loss or gradient would poison the weights and the optimizer's moments: skip the update.
            // After the all-reduce one rank's NaN is every rank's, so all skip together.
            if (optimizer.GradientsFinite())
            {
                nonFiniteInARow = 0;
                using (var norm = optimizer.ClipGradNorm(config.GradClipNorm)) log.GradientNorm(norm);
                optimizer.Step();
            }
            else
            {
                log.NonFiniteSkipped();
                if (++nonFiniteInARow > config.NonFiniteStepLimit)
                    throw new DiffusionAlignException(
                        $"{nonFiniteInARow} steps in a row had a non-finite loss or gradient (step {step + 1}); the "
                        + "run stops with its last checkpoint intact: lower the learning rate or check the data");
            }
            last = step + 1;
            log.StepDone(config.EffectiveBatch);
            if (last % config.LogEvery == 0 || last == config.Steps)
            {
                var report = log.Write(last, config.Steps, optimizer.LearningRate, world);
                progress?.Report(report);
                observer?.StepLogged(report);
            }
            if (observer is not null)
            {
                // Whatever the observer does (sampling validation grids) is not training time: keep it out of pairs/s.
                log.PauseClock();
                observer.StepFinished(last, policy);
                log.ResumeClock();
            }
            if (root && config.CheckpointEvery > 0 && last % config.CheckpointEvery == 0 && last < config.Steps)
                SaveCheckpoint(policy, reference, optimizer, config, checkpointDir, last);
        }
        // Every run ends with a checkpoint, finished or not, so it can be resumed or extended (more --steps).
        if (root && (last > start || !TrainingCheckpoint.Exists(checkpointDir)))
            SaveCheckpoint(policy, reference, optimizer, config, checkpointDir, last);
        if (cancelled) throw new OperationCanceledException(cancel);
        return last;
    }

    /// <summary>
    /// Adapters, precision and checkpointing as the recipe asks; everything frozen but what trains (the
    /// UNet, or the adapters).
    /// </summary>
    private static void Prepare(TextToImageModel policy, AlignConfig config)
    {
        if (config.Lora is { } lora) policy.AddLora(lora, config.Seed);
        else if (policy.HasAdapters)
            throw new DiffusionAlignException(
                "the model carries LoRA adapters: train them with the same LoRA settings, or merge them first "
                + "(dalign export --merge-lora)");
        if (config.Precision == TrainingPrecision.Bf16)
        {
            if (!policy.HasAdapters)
                throw new InvalidSettingException(nameof(AlignConfig.Precision),
                    "bf16 trains LoRA adapters only (full fine-tuning needs float32 weights); add a LoRA rank");
            policy.UsePrecision(ScalarType.BFloat16);
        }
        policy.Unet.GradientCheckpointing = config.GradientCheckpointing;
        foreach (var p in policy.Modules.parameters()) p.requires_grad = false;
        foreach (var p in policy.TrainableParameters()) p.requires_grad = true;
        policy.TextEncoder.eval();
        policy.Unet.train();
    }

    /// <summary>
    /// Restores the policy a run's checkpoint holds, for sampling from it or saving it: <paramref name="policy"/>
    /// must be the run's starting model (a fresh copy: adapters are added as the recipe asks), and
    /// <paramref name="config"/> the run's settings (checked as for a resume). Returns the checkpoint's step.
    /// </summary>
    /// <exception cref="DiffusionAlignException">No checkpoint, or one made with other settings.</exception>
    public static int RestorePolicy(TextToImageModel policy, AlignConfig config, string checkpointDir)
    {
        config.Validate();
        Prepare(policy, config);
        return LoadCheckpoint(policy, null, null, config, checkpointDir).Step;
    }

    /// <summary>Loads the checkpoint into policy, reference and optimizer; returns its step.</summary>
    private static int Resume(TextToImageModel policy, TextToImageModel? reference, FlatAdamW optimizer,
        AlignConfig config, string checkpointDir, string metricsPath, bool root)
    {
        var info = LoadCheckpoint(policy, reference, optimizer, config, checkpointDir);
        if (root) MetricsLog.TruncateAfter(metricsPath, info.Step);
        return info.Step;
    }

    /// <summary>
    /// Loads the newest checkpoint made with the same settings into the policy, and the reference and optimizer
    /// when given.
    /// </summary>
    private static TrainingCheckpoint.Info LoadCheckpoint(TextToImageModel policy, TextToImageModel? reference,
        FlatAdamW? optimizer, AlignConfig config, string checkpointDir)
    {
        var (info, tensors) = TrainingCheckpoint.Load(checkpointDir, optimizer, CheckpointKind);
        try
        {
            var saved = info.Settings.Deserialize<AlignConfig>()
                ?? throw new DiffusionAlignException($"the checkpoint in {checkpointDir} has no settings");
            var differences = SettingsMismatchException.Compare(Comparable(saved), Comparable(config));
            if (differences.Count > 0) throw new SettingsMismatchException(checkpointDir, differences);
            if (info.Step > config.Steps)
                throw new InvalidSettingException(nameof(AlignConfig.Steps),
                    $"is {config.Steps}, but the checkpoint in {checkpointDir} is already at step {info.Step}");
            // The reference must be the run's starting model, which the checkpoint stores too (unless it is the
            // policy with its adapters off).
            policy.LoadTrainableTensors(Strip(tensors, "policy."), "checkpoint");
            if (reference is not null && !ReferenceEquals(reference, policy))
                reference.LoadTrainableTensors(Strip(tensors, "reference."), "checkpoint");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return info;
    }

    /// <summary>A digest of the settings, to check that every process of a data-parallel run has the same.</summary>
    private static long SettingsHash(AlignConfig config) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(config)));

    /// <summary>
    /// The settings that must match for a resume: everything but how often to log, save or stop, how many
    /// checkpoints to keep, and how the peak learning rate was given (only its value matters). The number of
    /// steps must match only when the schedule decays towards the last step; with a constant rate after warm-up
    /// earlier steps do not depend on it, so such a run may be extended.
    /// </summary>
    private static AlignConfig Comparable(AlignConfig c) =>
        c with
        {
            StopAfter = null, LogEvery = 1, CheckpointEvery = 1, CheckpointsTotalLimit = 1,
            Steps = c.Schedule().DependsOnTotalSteps ? c.Steps : 1, LearningRatePerPair = null,
        };

    private static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    private static void SaveCheckpoint(TextToImageModel policy, TextToImageModel? reference, FlatAdamW optimizer,
        AlignConfig config, string dir, int step)
    {
        using var scope = NewDisposeScope(); // frees the detached weight views
        // Only what trains: frozen weights come back from the starting model on resume.
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, v) in policy.TrainableStateTensors()) tensors["policy." + k] = v;
        if (reference is not null && !ReferenceEquals(reference, policy))
            foreach (var (k, v) in reference.TrainableStateTensors()) tensors["reference." + k] = v;
        var info = new TrainingCheckpoint.Info(step, CheckpointKind, JsonSerializer.SerializeToElement(config));
        TrainingCheckpoint.Save(dir, info, tensors, optimizer, config.CheckpointsTotalLimit);
    }

    /// <summary>
    /// Sums of the step's loss and metrics, kept on the device and read back only on logging steps
    /// (the loop's only host synchronisation), written as one JSON line per logged step.
    /// </summary>
    private sealed class MetricsLog : IDisposable
    {
        private readonly StreamWriter? _file;
        private readonly Dictionary<string, Tensor> _sums = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _steps;
        private int _pairs;
        private int _nonFinite;
        private Tensor? _gradNormSum;
        private int _gradNormSteps;

        // A skipped step's loss may be NaN or infinite; JSON has no such numbers, so they are written as strings.
        private static readonly JsonSerializerOptions LineOptions = new()
        {
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };

        /// <summary>A log that writes <paramref name="path"/> if <paramref name="writes"/> (rank 0 of a run).</summary>
        public MetricsLog(string path, bool append, bool writes)
        {
            if (!writes) return;
            if (!append && File.Exists(path)) File.Delete(path);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            _file = new StreamWriter(path, append: true);
        }

        public void Accumulate(ObjectiveOutput output, int accum)
        {
            Add(LossName, output.Loss, accum);
            foreach (var (name, value) in output.Metrics) Add(name, value, accum);
        }

        /// <summary>Counts a step whose update was skipped for a non-finite loss or gradient.</summary>
        public void NonFiniteSkipped() => _nonFinite++;

        /// <summary>Adds an applied step's gradient norm (kept on the device; skipped steps have none).</summary>
        public void GradientNorm(Tensor norm)
        {
            using var scope = NewDisposeScope();
            var value = norm.detach().to_type(ScalarType.Float32);
            if (_gradNormSum is null) _gradNormSum = value.clone().DetachFromDisposeScope();
            else TensorSum.AddInPlace(_gradNormSum, value);
            _gradNormSteps++;
        }

        public void PauseClock() => _clock.Stop();

        public void ResumeClock() => _clock.Start();

        public void StepDone(int pairs)
        {
            _steps++;
            _pairs += pairs;
        }

        /// <summary>
        /// The means since the last write, averaged over the processes of <paramref name="world"/> (each has its
        /// share of the pairs; the gradient norm is already global), as a report and, at rank 0, a line.
        /// </summary>
        public TrainingStepReport Write(int step, int steps, double learningRate, ICommunicator world)
        {
            var means = _sums.ToDictionary(kv => kv.Key, kv => kv.Value.item<float>() / (double)_steps);
            if (world.Size > 1)
            {
                // In one order on every process, whatever order the metrics were added in.
                var keys = means.Keys.Order(StringComparer.Ordinal).ToList();
                var values = keys.Select(k => means[k]).ToArray();
                world.AllReduceMean(values);
                for (int i = 0; i < keys.Count; i++) means[keys[i]] = values[i];
            }
            if (_gradNormSum is not null) means[GradNorm] = _gradNormSum.item<float>() / (double)_gradNormSteps;
            double seconds = Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
            var report = new TrainingStepReport(step, steps, means[LossName], learningRate, _pairs / seconds,
                means.Where(kv => kv.Key != LossName).ToDictionary());
            var line = new Dictionary<string, object>
            {
                ["step"] = report.Step,
                [LossName] = report.Loss,
                [LearningRateName] = report.LearningRate,
                [ThroughputName] = report.ExamplesPerSecond,
            };
            foreach (var (k, v) in report.Metrics) line[k] = v;
            line["skipped_nonfinite_steps"] = _nonFinite;
            _file?.WriteLine(JsonSerializer.Serialize(line, LineOptions));
            _file?.Flush();
            Clear();
            _clock.Restart();
            _steps = 0;
            _pairs = 0;
            _nonFinite = 0;
            return report;
        }

        /// <summary>
        /// Drops lines a crashed run wrote after its last checkpoint, so the resumed log has each step once.
        /// </summary>
        public static void TruncateAfter(string path, int lastStep)
        {
            if (!File.Exists(path)) return;
            var kept = File.ReadLines(path).Where(line =>
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    return doc.RootElement.GetProperty("step").GetInt32() <= lastStep;
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    return false;
                }
            }).ToList();
            // Atomic: a kill during the rewrite must not lose the lines that were kept.
            AtomicFile.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                foreach (string line in kept) writer.WriteLine(line);
            });
        }

        public void Dispose()
        {
            Clear();
            _file?.Dispose();
        }

        private void Add(string name, Tensor value, int accum)
        {
            using var steps = accum.ToScalar();
            var contribution = value.detach().div(steps);
            if (_sums.TryGetValue(name, out var sum))
            {
                TensorSum.AddInPlace(sum, contribution);
                contribution.Dispose();
            }
            else
            {
                _sums[name] = contribution.MoveToOuterDisposeScope();
            }
        }

        private void Clear()
        {
            foreach (var t in _sums.Values) t.Dispose();
            _sums.Clear();
            _gradNormSum?.Dispose();
            _gradNormSum = null;
            _gradNormSteps = 0;
        }
    }
}
