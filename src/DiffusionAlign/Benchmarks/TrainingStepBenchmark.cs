using System.Diagnostics;
using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Benchmarks;

/// <summary>
/// Times alignment steps of one method on fixed pairs with the trainer's own pieces
/// (<see cref="PairInputs"/>, <see cref="AlignmentStep"/>, the objective, AdamW with clipping),
/// split into policy forward, reference forward, backward (with the loss) and optimizer.
/// The peak RSS is of these steps alone where the OS lets the peak be reset.
/// </summary>
public static class TrainingStepBenchmark
{
    public static TrainingStepTiming Time(TextToImageModel start, IReadOnlyList<PreferencePair> pairs, AlignMethod method, StepLevers levers,
        int warmupSteps, int timedSteps, double flopsPerImage, double gemm)
    {
        int threadsBefore = get_num_threads();
        set_num_threads(levers.Threads);
        Runtime.NativeAllocator.UseMmapThreshold(levers.MmapThresholdBytes);
        try
        {
            using var policy = start.Copy();
            using var reference = start.Copy();
            reference.Freeze();
            // A reference that is not frozen is what makes the "graph" mode cost a backward too.
            if (levers.Execution.Reference == ReferenceMode.Graph)
                foreach (var p in reference.Unet.parameters()) p.requires_grad = true;
            foreach (var model in new[] { policy, reference })
            {
                model.Unet.UseAttentionKernel(levers.Kernel);
                model.Unet.UseChannelsLast(levers.ChannelsLast);
            }
            foreach (var p in policy.TextEncoder.parameters()) p.requires_grad = false;
            var alignConfig = AlignConfig.DefaultsFor(method);
            var objective = PreferenceTrainer.ObjectiveFor(alignConfig);
            var parameters = policy.Unet.parameters().ToList();
            // The trainer's optimizer settings (PreferenceTrainer.Run).
            using var optimizer = optim.AdamW(parameters, alignConfig.LearningRate, 0.9, 0.999, 1e-8, alignConfig.WeightDecay);
            double fwd = 0, bwd = 0, refFwd = 0, opt = 0, total = 0;
            int b = pairs.Count;
            bool peakReset = false;
            for (int step = 0; step < warmupSteps + timedSteps; step++)
            {
                bool timed = step >= warmupSteps;
                if (timed && !peakReset)
                {
                    // Free heap pages left by earlier measurements first, so the peak is this step's.
                    Runtime.NativeAllocator.Trim();
                    peakReset = ProcessMemory.ResetPeak();
                }
                using var scope = NewDisposeScope();
                var stepClock = Stopwatch.StartNew();
                var inputs = PairInputs.Build(policy, pairs, alignConfig, step);
                // Reference first, as the trainer does (PreferenceTrainer.MicroBatch).
                var c = Stopwatch.StartNew();
                var referencePrediction = AlignmentStep.ReferencePrediction(reference, inputs, levers.Execution);
                double r = c.Elapsed.TotalSeconds;
                c.Restart();
                var prediction = AlignmentStep.PolicyPrediction(policy, inputs, levers.Execution);
                double f = c.Elapsed.TotalSeconds;
                c.Restart();
                optimizer.zero_grad();
                var output = objective.Compute(prediction, referencePrediction, inputs.Target);
                output.Loss.backward();
                double bw = c.Elapsed.TotalSeconds;
                c.Restart();
                nn.utils.clip_grad_norm_(parameters, alignConfig.GradClipNorm);
                optimizer.step();
                double o = c.Elapsed.TotalSeconds;
                if (levers.SyncEveryStep)
                {
                    _ = output.Loss.item<float>();
                    foreach (var value in output.Metrics.Values) _ = value.item<float>();
                }
                if (!timed) continue;
                fwd += f;
                refFwd += r;
                bwd += bw;
                opt += o;
                total += stepClock.Elapsed.TotalSeconds;
            }
            int n = timedSteps;
            double stepSeconds = total / n;
            int images = 2 * b;
            // Policy forward + backward ≈ 3 forwards on 2B images, reference 1 forward on 2B images.
            double flopsPerStep = (3.0 + 1.0) * images * flopsPerImage;
            double achieved = flopsPerStep / stepSeconds / 1e9;
            return new TrainingStepTiming(method.ToString().ToLowerInvariant(), b, stepSeconds, b / stepSeconds, fwd / n, bwd / n, refFwd / n, opt / n,
                Math.Max(0, stepSeconds - (fwd + bwd + refFwd + opt) / n), refFwd / total, achieved, achieved / gemm)
            {
                ImageSize = start.Config.ImageSize,
                PeakRssMiB = peakReset ? ProcessMemory.PeakRssMiB() : null,
            };
        }
        finally
        {
            set_num_threads(threadsBefore);
        }
    }
}
