using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// Fine-tunes a policy UNet (all its weights, or LoRA adapters on its attention) on preference pairs
/// against a frozen reference, with the objective of an <see cref="AlignConfig"/>. The reference is a
/// frozen copy of the starting model, or with adapters the policy itself with them disabled. Each optimizer
/// step: for each micro-batch, <see cref="PreferenceStep"/> (noised pairs → reference → policy →
/// objective) and backward; then clip → AdamW step (<see cref="FlatAdamW"/>) → log → checkpoint. The text
/// encoder stays frozen (unless it carries adapters), as in Diffusion-DPO.
/// </summary>
public static class PreferenceTrainer
{
    private const string CheckpointKind = "align";

    /// <summary>
    /// Trains <paramref name="policy"/> in place. Metrics go to <paramref name="metricsPath"/> (JSON
    /// lines, one per logged step); a resumable checkpoint is kept in <paramref name="checkpointDir"/>.
    /// Returns the number of the last completed step (less than <see cref="AlignConfig.Steps"/> only
    /// with <see cref="AlignConfig.StopAfter"/>).
    /// </summary>
    public static int Run(
        TextToImageModel policy, PreferenceDataset pairs, AlignConfig config, string checkpointDir,
        string metricsPath, bool resume, IProgress<TrainingStepReport>? progress = null,
        CancellationToken cancel = default) =>
        Train(policy, pairs.Count, (reference, objective, indices, micro) =>
                PreferenceStep.Run(policy, reference, objective, indices.Select(i => pairs[i]).ToList(), config, micro),
            config, checkpointDir, metricsPath, resume, progress, cancel);

    /// <summary>
    /// The same on pairs from a latent cache made with the policy's VAE: the same steps as on the images it
    /// encodes, without running the encoder.
    /// </summary>
    public static int Run(
        TextToImageModel policy, LatentPairCache pairs, AlignConfig config, string checkpointDir,
        string metricsPath, bool resume, IProgress<TrainingStepReport>? progress = null,
        CancellationToken cancel = default)
    {
        pairs.CheckFits(policy);
        return Train(policy, pairs.Count, (reference, objective, indices, micro) =>
                PreferenceStep.Run(policy, reference, objective, pairs, indices, config, micro),
            config, checkpointDir, metricsPath, resume, progress, cancel);
    }

    /// <summary>The loop, given how to compute one micro-batch's objective from its pair indices.</summary>
    private static int Train(
        TextToImageModel policy, int pairCount,
        Func<TextToImageModel?, IPreferenceObjective, IReadOnlyList<int>, long, ObjectiveOutput> microBatch,
        AlignConfig config, string checkpointDir, string metricsPath, bool resume,
        IProgress<TrainingStepReport>? progress, CancellationToken cancel)
    {
        config.Validate();
        var objective = config.CreateObjective();
        Prepare(policy, config);
        // With adapters the reference is the policy itself with them off: no second copy of the UNet.
        using var copy = objective.NeedsReference && !policy.HasAdapters ? policy.Copy() : null;
        copy?.Freeze();
        var reference = objective.NeedsReference ? copy ?? policy : null;
        using var optimizer = new FlatAdamW(policy.TrainableParameters(), config.OptimizerSettings());
        var schedule = new LearningRateSchedule(config.LearningRate, config.WarmupSteps, config.Steps);
        var batches = new PairBatchSchedule(pairCount, config.BatchSize, config.Seed);
        int start = resume && TrainingCheckpoint.Exists(checkpointDir)
            ? Resume(policy, reference, optimizer, config, checkpointDir, metricsPath)
            : 0;
        using var log = new MetricsLog(metricsPath, append: start > 0);

        int last = start;
        for (int step = start; step < config.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            if (config.StopAfter is int stop && step - start >= stop) break;
            optimizer.LearningRate = schedule.At(step);
            optimizer.ZeroGrad();
            for (int k = 0; k < config.GradAccum; k++)
            {
                using var scope = NewDisposeScope();
                long micro = (long)step * config.GradAccum + k;
                var output = microBatch(reference, objective, batches.Batch(micro), micro);
                (output.Loss / config.GradAccum).backward();
                log.Accumulate(output, config.GradAccum);
            }
            optimizer.ClipGradNorm(config.GradClipNorm);
            optimizer.Step();
            last = step + 1;
            log.StepDone(config.EffectiveBatch);
            if (last % config.LogEvery == 0 || last == config.Steps)
            {
                var report = log.Write(last, config.Steps, optimizer.LearningRate);
                progress?.Report(report);
            }
            if (config.CheckpointEvery > 0 && last % config.CheckpointEvery == 0 && last < config.Steps)
                SaveCheckpoint(policy, reference, optimizer, config, checkpointDir, last);
        }
        if (last < config.Steps) SaveCheckpoint(policy, reference, optimizer, config, checkpointDir, last);
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

    /// <summary>Loads the checkpoint into policy, reference and optimizer; returns its step.</summary>
    private static int Resume(TextToImageModel policy, TextToImageModel? reference, FlatAdamW optimizer,
        AlignConfig config, string checkpointDir, string metricsPath)
    {
        var (info, tensors) = TrainingCheckpoint.Load(checkpointDir, optimizer, CheckpointKind);
        var saved = info.Settings.Deserialize<AlignConfig>();
        // Compared as JSON: records compare lists by reference.
        if (saved is null
            || JsonSerializer.Serialize(Comparable(saved)) != JsonSerializer.Serialize(Comparable(config)))
            throw new DiffusionAlignException($"the checkpoint in {checkpointDir} was made with different settings "
                + $"({info.Settings.GetRawText()}); resume with the same settings or start in a new folder");
        // The reference must be the run's starting model, which the checkpoint stores too (unless it is the
        // policy with its adapters off).
        policy.LoadTrainableTensors(Strip(tensors, "policy."), "checkpoint");
        if (reference is not null && !ReferenceEquals(reference, policy))
            reference.LoadTrainableTensors(Strip(tensors, "reference."), "checkpoint");
        foreach (var t in tensors.Values) t.Dispose();
        MetricsLog.TruncateAfter(metricsPath, info.Step);
        return info.Step;
    }

    /// <summary>The settings that must match for a resume: everything but how often to log, save or stop.</summary>
    private static AlignConfig Comparable(AlignConfig c) =>
        c with { StopAfter = null, LogEvery = 1, CheckpointEvery = 1 };

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
        TrainingCheckpoint.Save(dir, info, tensors, optimizer);
    }

    /// <summary>
    /// Sums of the step's loss and metrics, kept on the device and read back only on logging steps
    /// (the loop's only host synchronisation), written as one JSON line per logged step.
    /// </summary>
    private sealed class MetricsLog : IDisposable
    {
        private readonly StreamWriter _file;
        private readonly Dictionary<string, Tensor> _sums = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _steps;
        private int _pairs;

        public MetricsLog(string path, bool append)
        {
            if (!append && File.Exists(path)) File.Delete(path);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            _file = new StreamWriter(path, append: true);
        }

        public void Accumulate(ObjectiveOutput output, int accum)
        {
            Add("loss", output.Loss, accum);
            foreach (var (name, value) in output.Metrics) Add(name, value, accum);
        }

        public void StepDone(int pairs)
        {
            _steps++;
            _pairs += pairs;
        }

        public TrainingStepReport Write(int step, int steps, double learningRate)
        {
            var means = _sums.ToDictionary(kv => kv.Key, kv => kv.Value.item<float>() / (double)_steps);
            double seconds = Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
            var report = new TrainingStepReport(step, steps, means["loss"], learningRate, _pairs / seconds,
                means.Where(kv => kv.Key != "loss").ToDictionary());
            var line = new Dictionary<string, object>
            {
                ["step"] = report.Step,
                ["loss"] = report.Loss,
                ["lr"] = report.LearningRate,
                ["pairs_per_second"] = report.ExamplesPerSecond,
            };
            foreach (var (k, v) in report.Metrics) line[k] = v;
            _file.WriteLine(JsonSerializer.Serialize(line));
            _file.Flush();
            Clear();
            _clock.Restart();
            _steps = 0;
            _pairs = 0;
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
            File.WriteAllLines(path, kept);
        }

        public void Dispose()
        {
            Clear();
            _file.Dispose();
        }

        private void Add(string name, Tensor value, int accum)
        {
            var contribution = value.detach() / accum;
            if (_sums.TryGetValue(name, out var sum))
            {
                sum.add_(contribution);
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
        }
    }
}
