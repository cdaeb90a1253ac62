using System.Diagnostics;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Data;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench;

/// <summary>
/// Times alignment steps of one method on fixed pairs with the trainer's own pieces
/// (<see cref="PreferenceStep"/>'s pieces via <see cref="StepExecution"/>, the objective, AdamW with clipping),
/// split into policy forward, reference forward, backward (with the loss) and optimizer; each the
/// median over the timed steps.
/// Timed steps start once the step is in its steady state (<see cref="SteadyState"/>): the first
/// steps grow the heap, page fault by page fault, and on this VM that makes a step up to 1.6× slower.
/// The peak RSS is of this configuration alone (warm-up included) where the OS lets the peak be reset.
/// </summary>
public static class TrainingStepBenchmark
{
    public static TrainingStepTiming Time(TextToImageModel start, IReadOnlyList<PreferencePair> pairs,
        AlignMethod method, StepLevers levers, int warmupSteps, int timedSteps, double flopsPerImage, double gemm)
    {
        int threadsBefore = get_num_threads();
        set_num_threads(levers.Threads);
        // mallopt cannot restore glibc's adaptive defaults, so a mode, once set, stays for the process.
        if (levers.Malloc is { } malloc) Machine.NativeAllocator.Use(malloc);
        try
        {
            using var policy = start.Copy();
            using var reference = start.Copy();
            reference.Freeze();
            // "Graph" mode as a naive loop runs it: a trainable reference whose graph is kept (and
            // back-propagated through wherever the loss does not detach the reference).
            if (levers.Execution.Reference == ReferenceMode.Graph)
                foreach (var p in reference.Unet.parameters()) p.requires_grad = true;
            foreach (var model in new[] { policy, reference })
            {
                model.Unet.UseAttentionKernel(levers.Kernel);
                model.Unet.UseChannelsLast(levers.ChannelsLast);
            }
            foreach (var p in policy.TextEncoder.parameters()) p.requires_grad = false;
            var alignConfig = AlignConfig.DefaultsFor(method);
            var objective = alignConfig.CreateObjective();
            var parameters = policy.Unet.parameters().ToList();
            // The trainer's optimizer and settings (PreferenceTrainer.Run), or TorchSharp's per-parameter
            // one (the lever off); built after the memory format is set (FlatAdamW keeps the storage).
            var settings = alignConfig.OptimizerSettings();
            using var optimizer = new StepOptimizer(parameters, settings, levers.FlatOptimizer);
            var fwd = new List<double>();
            var bwd = new List<double>();
            var refFwd = new List<double>();
            var opt = new List<double>();
            var total = new List<double>();
            var other = new List<double>();
            int b = pairs.Count;
            int step = 0;
            Machine.HeapStatistics? heapAtActivationPeak = null;
            void RunStep(bool timed)
            {
                using var scope = NewDisposeScope();
                var stepClock = Stopwatch.StartNew();
                var inputs = PreferenceStep.NoisyPairs(policy, pairs, alignConfig, step++);
                // Reference first, as the trainer does (PreferenceStep.Run).
                var c = Stopwatch.StartNew();
                var referencePrediction = levers.Execution.ReferencePrediction(reference, inputs);
                double r = c.Elapsed.TotalSeconds;
                c.Restart();
                var prediction = levers.Execution.PolicyPrediction(policy, inputs);
                double f = c.Elapsed.TotalSeconds;
                // Once, outside the timed phases: malloc's totals when the policy's kept activations
                // are all alive (≈ the step's peak of live tensors), to tell live memory from reserve.
                if (timed && heapAtActivationPeak is null)
                    heapAtActivationPeak = Machine.NativeAllocator.HeapStatistics();
                c.Restart();
                optimizer.ZeroGrad();
                var output = objective.Compute(prediction, referencePrediction, inputs.Target);
                output.Loss.backward();
                double bw = c.Elapsed.TotalSeconds;
                c.Restart();
                optimizer.ClipAndStep(alignConfig.GradClipNorm);
                double o = c.Elapsed.TotalSeconds;
                if (levers.SyncEveryStep)
                {
                    _ = output.Loss.item<float>();
                    foreach (var value in output.Metrics.Values) _ = value.item<float>();
                }
                if (!timed) return;
                fwd.Add(f);
                refFwd.Add(r);
                bwd.Add(bw);
                opt.Add(o);
                double stepSeconds = stepClock.Elapsed.TotalSeconds;
                total.Add(stepSeconds);
                other.Add(Math.Max(0, stepSeconds - (f + r + bw + o)));
            }

            // Free heap pages left by earlier measurements and start a new peak: the peak is then
            // this configuration's, its warm-up included (which is where the heap grows).
            Machine.NativeAllocator.Trim();
            bool peakReset = ProcessMemory.ResetPeak();
            int warmup = SteadyState.WarmUp(() => RunStep(timed: false), warmupSteps);
            double? fileBackedBefore = ProcessMemory.FileBackedRssMiB();
            for (int i = 0; i < timedSteps; i++) RunStep(timed: true);
            double? fileBackedAfter = ProcessMemory.FileBackedRssMiB();
            // Medians: on a shared 2-core machine one preempted step can double a mean.
            double stepSeconds = Median(total);
            int images = 2 * b;
            // Policy forward + backward ≈ 3 forwards on 2B images, reference 1 forward on 2B images.
            double flopsPerStep = (3.0 + 1.0) * images * flopsPerImage;
            double achieved = flopsPerStep / stepSeconds / 1e9;
            return new TrainingStepTiming(method.ToString().ToLowerInvariant(), b, stepSeconds, b / stepSeconds,
                Median(fwd), Median(bwd), Median(refFwd), Median(opt),
                Median(other), Median(refFwd) / stepSeconds, achieved, achieved / gemm)
            {
                ImageSize = start.Config.ImageSize,
                WarmupSteps = warmup,
                PeakRssMiB = peakReset ? ProcessMemory.PeakRssMiB() : null,
                // Code pages are only added while new kernels run; unchanged over the timed steps,
                // the peak's anonymous part (heap, stacks) is exactly peak − file-backed.
                FileBackedRssMiB = fileBackedAfter,
                FileBackedSteady = fileBackedBefore is double x && fileBackedAfter is double y
                    ? Math.Abs(y - x) < 1.0
                    : null,
                Heap = Machine.NativeAllocator.HeapStatistics(),
                HeapAfterPolicyForward = heapAtActivationPeak,
            };
        }
        finally
        {
            set_num_threads(threadsBefore);
        }
    }

    /// <summary>
    /// The trainer's <see cref="FlatAdamW"/>, or TorchSharp's per-parameter AdamW with <c>clip_grad_norm_</c>
    /// (the lever off).
    /// </summary>
    private sealed class StepOptimizer(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, AdamWSettings settings,
        bool flat) : IDisposable
    {
        private readonly FlatAdamW? _flat = flat ? new FlatAdamW(parameters, settings) : null;
        private readonly optim.Optimizer? _perParameter = flat ? null
            : optim.AdamW(parameters, settings.LearningRate, settings.Beta1, settings.Beta2, settings.Epsilon,
                settings.WeightDecay);

        public void ZeroGrad()
        {
            if (_flat is not null) _flat.ZeroGrad();
            else using (NewDisposeScope()) _perParameter!.zero_grad(); // its gradient wrappers go with the scope
        }

        public void ClipAndStep(double maxNorm)
        {
            if (_flat is not null)
            {
                _flat.ClipGradNorm(maxNorm).Dispose();
                _flat.Step();
                return;
            }
            nn.utils.clip_grad_norm_(parameters, maxNorm);
            _perParameter!.step();
        }

        public void Dispose()
        {
            _flat?.Dispose();
            _perParameter?.Dispose();
        }
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
