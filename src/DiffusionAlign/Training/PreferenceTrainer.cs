using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// Fine-tunes a policy UNet on preference pairs against a frozen copy of itself (the reference),
/// with any <see cref="IPreferenceObjective"/>. One step reads top to bottom: pairs → shared
/// (t, ε) per pair → one reference forward on [winners; losers] under inference mode → one
/// policy forward on the same batch → objective → backward (<see cref="AlignmentStep"/>); after
/// the accumulated micro-batches: clip → AdamW step (<see cref="FlatAdamW"/>).
/// The text encoder stays frozen, as in Diffusion-DPO.
/// </summary>
public sealed class PreferenceTrainer
{
    private const string CheckpointKind = "align";

    public static IPreferenceObjective ObjectiveFor(AlignConfig config) => config.Method switch
    {
        AlignMethod.Dpo => new DiffusionDpoLoss(config.Beta),
        AlignMethod.Dspo => new DspoLoss(config.Beta, config.DspoVariant),
        AlignMethod.Sft => new SftLoss(),
        _ => throw new ArgumentOutOfRangeException(nameof(config)),
    };

    /// <summary>
    /// Trains <paramref name="policy"/> in place. Metrics go to <paramref name="metricsPath"/> (JSON lines,
    /// appended, one per logged step); a resumable checkpoint is kept in <paramref name="checkpointDir"/>.
    /// Returns the number of the last completed step (less than <see cref="AlignConfig.Steps"/> only with <see cref="AlignConfig.StopAfter"/>).
    /// </summary>
    public static int Run(TextToImageModel policy, PreferenceDataset pairs, AlignConfig config, string checkpointDir, string metricsPath,
        bool resume, IProgress<TrainingStepReport>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        var objective = ObjectiveFor(config);
        using var reference = objective.NeedsReference ? policy.Copy() : null;
        reference?.Freeze();
        foreach (var p in policy.TextEncoder.parameters()) p.requires_grad = false;
        policy.TextEncoder.eval();
        policy.Unet.train();
        var parameters = policy.Unet.parameters().ToList();
        using var optimizer = new FlatAdamW(parameters, OptimizerSettings(config));
        var schedule = new LearningRateSchedule(config.LearningRate, config.WarmupSteps, config.Steps);
        var batches = new PairBatchSchedule(pairs.Count, config.BatchSize, config.Seed);

        int start = 0;
        if (resume && TrainingCheckpoint.Exists(checkpointDir))
        {
            var (info, tensors) = TrainingCheckpoint.Load(checkpointDir, optimizer, CheckpointKind);
            var saved = info.Settings.Deserialize<AlignConfig>();
            if (saved is null || saved with { StopAfter = null, LogEvery = 1, CheckpointEvery = 1 } != config with { StopAfter = null, LogEvery = 1, CheckpointEvery = 1 })
                throw new DiffusionAlignException($"the checkpoint in {checkpointDir} was made with different settings ({info.Settings.GetRawText()}); resume with the same flags or use a new --out");
            // The reference must be the run's starting model, which the checkpoint stores too.
            policy.LoadStateTensors(Strip(tensors, "policy."), "checkpoint");
            reference?.LoadStateTensors(Strip(tensors, "reference."), "checkpoint");
            foreach (var t in tensors.Values) t.Dispose();
            start = info.Step;
            TruncateMetrics(metricsPath, start);
        }
        else if (File.Exists(metricsPath))
        {
            File.Delete(metricsPath);
        }
        string? metricsDir = Path.GetDirectoryName(Path.GetFullPath(metricsPath));
        if (metricsDir is not null) Directory.CreateDirectory(metricsDir);
        using var metricsFile = new StreamWriter(metricsPath, append: true);

        var clock = Stopwatch.StartNew();
        int pairsSinceReport = 0;
        var sums = new Dictionary<string, Tensor>();
        int stepsInSums = 0;
        int last = start;
        for (int step = start; step < config.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            if (config.StopAfter is int stop && step - start >= stop) break;
            double lr = schedule.At(step);
            optimizer.LearningRate = lr;
            optimizer.ZeroGrad();
            for (int k = 0; k < config.GradAccum; k++)
            {
                using var scope = NewDisposeScope();
                long micro = (long)step * config.GradAccum + k;
                var batch = batches.Batch(micro).Select(i => pairs[i]).ToList();
                var output = MicroBatch(policy, reference, objective, batch, config, micro);
                (output.Loss / config.GradAccum).backward();
                Accumulate(sums, "loss", output.Loss, config.GradAccum);
                foreach (var (name, value) in output.Metrics) Accumulate(sums, name, value, config.GradAccum);
            }
            optimizer.ClipGradNorm(config.GradClipNorm);
            optimizer.Step();
            stepsInSums++;
            pairsSinceReport += config.EffectiveBatch;
            last = step + 1;

            if ((step + 1) % config.LogEvery == 0 || step + 1 == config.Steps)
            {
                // The only host synchronisation of the loop: metrics are read back on logging steps.
                var means = sums.ToDictionary(kv => kv.Key, kv => kv.Value.item<float>() / (double)stepsInSums);
                foreach (var t in sums.Values) t.Dispose();
                sums.Clear();
                stepsInSums = 0;
                double seconds = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                var report = new TrainingStepReport(step + 1, config.Steps, means["loss"], lr, pairsSinceReport / seconds,
                    means.Where(kv => kv.Key != "loss").ToDictionary());
                WriteMetrics(metricsFile, report);
                progress?.Report(report);
                clock.Restart();
                pairsSinceReport = 0;
            }
            if (config.CheckpointEvery > 0 && (step + 1) % config.CheckpointEvery == 0 && step + 1 < config.Steps)
                SaveCheckpoint(policy, reference, optimizer, config, checkpointDir, step + 1);
        }
        foreach (var t in sums.Values) t.Dispose();
        if (last < config.Steps) SaveCheckpoint(policy, reference, optimizer, config, checkpointDir, last);
        return last;
    }

    /// <summary>The trainer's AdamW: the run's peak learning rate and weight decay, torch's betas and ε.</summary>
    public static AdamWSettings OptimizerSettings(AlignConfig config) => new(config.LearningRate, WeightDecay: config.WeightDecay);

    /// <summary>
    /// The objective on one micro-batch of pairs. Winners and losers are concatenated on the batch
    /// axis and share t and ε pair by pair (REFERENCE.md), and the prompt states are repeated.
    /// </summary>
    public static ObjectiveOutput MicroBatch(TextToImageModel policy, TextToImageModel? reference, IPreferenceObjective objective,
        IReadOnlyList<PreferencePair> batch, AlignConfig config, long micro, StepExecution? execution = null)
    {
        execution ??= StepExecution.Default;
        var inputs = PairInputs.Build(policy, batch, config, micro);
        // Reference first: its activations are transient, and freeing them before the policy's
        // kept activations exist lowers the step's peak memory by the reference's working set.
        var referencePrediction = reference is null ? null : AlignmentStep.ReferencePrediction(reference, inputs, execution);
        var prediction = AlignmentStep.PolicyPrediction(policy, inputs, execution);
        return objective.Compute(prediction, referencePrediction, inputs.Target);
    }

    private static void Accumulate(Dictionary<string, Tensor> sums, string name, Tensor value, int accum)
    {
        var contribution = value.detach() / accum;
        if (sums.TryGetValue(name, out var sum))
        {
            sum.add_(contribution);
            contribution.Dispose();
        }
        else
        {
            sums[name] = contribution.MoveToOuterDisposeScope();
        }
    }

    private static void WriteMetrics(StreamWriter file, TrainingStepReport report)
    {
        var line = new Dictionary<string, object>
        {
            ["step"] = report.Step,
            ["loss"] = report.Loss,
            ["lr"] = report.LearningRate,
            ["pairs_per_second"] = report.ExamplesPerSecond,
        };
        foreach (var (k, v) in report.Metrics) line[k] = v;
        file.WriteLine(JsonSerializer.Serialize(line));
        file.Flush();
    }

    /// <summary>Drops metric lines a crashed run wrote after its last checkpoint, so the resumed log has each step once.</summary>
    private static void TruncateMetrics(string path, int lastStep)
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

    private static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    private static void SaveCheckpoint(TextToImageModel policy, TextToImageModel? reference, FlatAdamW optimizer, AlignConfig config, string dir, int step)
    {
        using var scope = NewDisposeScope(); // frees the detached weight views
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, v) in policy.StateTensors()) tensors["policy." + k] = v;
        if (reference is not null)
            foreach (var (k, v) in reference.StateTensors()) tensors["reference." + k] = v;
        TrainingCheckpoint.Save(dir, new TrainingCheckpoint.Info(step, CheckpointKind, JsonSerializer.SerializeToElement(config)), tensors, optimizer);
    }
}
