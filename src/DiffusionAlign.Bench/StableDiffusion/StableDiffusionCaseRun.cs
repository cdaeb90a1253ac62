using System.Diagnostics;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench.StableDiffusion;

/// <summary>
/// Runs one configuration of the section in this process and measures it: builds the model from its config
/// (random weights), prepares it as <see cref="PreferenceTrainer"/> prepares a LoRA run (or freezes it for
/// sampling), returns freed heap pages and resets the peak RSS, then times the work. The peak is then the
/// work's own; in a fresh process (as <c>dalign bench</c> runs each configuration) nothing else has grown
/// the heap before.
/// </summary>
public static class StableDiffusionCaseRun
{
    public static StableDiffusionCaseResult Run(StableDiffusionBenchConfig config, StableDiffusionCase c,
        Action<string>? log = null)
    {
        // LibTorch, its thread pool and oneDNN load with the first op: the process's fixed cost.
        using (var warm = ones(64, 64)) matmul(warm, warm).Dispose();
        var result = StableDiffusionCaseResult.For(c) with { BaselineRssMiB = ProcessMemory.CurrentRssMiB() };
        try
        {
            result = c.Work == StableDiffusionWork.AlignmentStep
                ? AlignmentStep(config, c, result, log)
                : Sampling(config, c, result, log);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // LibTorch refusing an op (e.g. a dtype without a kernel on this CPU) is a result, not a crash.
            result = result with { Error = $"{e.GetType().Name}: {OneLine(e.Message)}" };
        }
        return result with { LoadAverageAtEnd = LoadAverage.Read() };
    }

    private static StableDiffusionCaseResult AlignmentStep(StableDiffusionBenchConfig config, StableDiffusionCase c,
        StableDiffusionCaseResult result, Action<string>? log)
    {
        var setup = Stopwatch.StartNew();
        var alignConfig = config.AlignConfigFor(c);
        var pairs = ShapesPairGenerator.CleanVersusFlawed(new ShapesWorld(), config.PairsPerStep,
            config.Model.ImageSize, seed: 0);
        using var policy = TextToImageModel.Create(config.Model, config.Seed);
        var estimate = MemoryEstimate.ForAlignment(policy, alignConfig, config.Model.ImageSize);
        Prepare(policy, alignConfig);
        var objective = alignConfig.CreateObjective();
        using var optimizer = new FlatAdamW(policy.TrainableParameters(), alignConfig.OptimizerSettings());
        var ready = Ready(result, setup, log);

        long micro = 0;
        StepPhases Step()
        {
            // PreferenceTrainer.Run's loop body for one micro-batch with PreferenceStep.Run's pieces, timed one by
            // one; the reference is the policy with its adapters off.
            var total = Stopwatch.StartNew();
            var clock = Stopwatch.StartNew();
            optimizer.ZeroGrad();
            double inputs, reference, forward, backward;
            using (NewDisposeScope())
            {
                var batch = PreferenceStep.NoisyPairs(policy, pairs, alignConfig, micro++);
                inputs = Lap(clock);
                var referencePrediction = PreferenceStep.ReferencePrediction(policy, batch);
                reference = Lap(clock);
                var prediction = policy.Predict(batch.Noisy, batch.Timesteps, batch.Text);
                forward = Lap(clock);
                var output = objective.Compute(prediction, referencePrediction, batch.Target);
                output.Loss.backward();
                _ = output.Loss.item<float>();
                backward = Lap(clock);
            }
            optimizer.ClipGradNorm(alignConfig.GradClipNorm).Dispose();
            optimizer.Step();
            return new StepPhases(inputs, reference, forward, backward, Lap(clock), total.Elapsed.TotalSeconds);
        }

        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < config.WarmupSteps; i++) log?.Invoke($"  warm-up step: {Step().Total:F1} s");
        double warmupSeconds = warmup.Elapsed.TotalSeconds;
        var steps = new List<StepPhases>();
        while (steps.Count < config.TimedSteps
               && (steps.Count == 0
                   || steps.Sum(s => s.Total) + steps.Max(s => s.Total) <= config.TimedSecondsPerCase))
        {
            steps.Add(Step());
            log?.Invoke($"  timed step {steps.Count}: {steps[^1]}");
        }
        double Median(Func<StepPhases, double> phase) => TrainingStepBenchmark.Median(steps.Select(phase).ToList());
        double unetSeconds = Median(s => s.ReferenceForward + s.PolicyForward + s.Backward);
        double gflop = StepForwards(c) * 2 * config.PairsPerStep * UnetGflopPerForward(policy);
        return ready with
        {
            WarmupSteps = config.WarmupSteps,
            WarmupSeconds = warmupSeconds,
            TimedSteps = steps.Count,
            StepSecondsEach = steps.Select(s => s.Total).ToList(),
            StepSeconds = Median(s => s.Total),
            InputsSeconds = Median(s => s.Inputs),
            ReferenceForwardSeconds = Median(s => s.ReferenceForward),
            PolicyForwardSeconds = Median(s => s.PolicyForward),
            BackwardSeconds = Median(s => s.Backward),
            OptimizerSeconds = Median(s => s.Optimizer),
            UnetSeconds = unetSeconds,
            UnetGflop = gflop,
            UnetGflopsPerSecond = gflop / unetSeconds,
            PeakRssMiB = ready.PeakRssMiB is null ? null : ProcessMemory.PeakRssMiB(),
            Estimate = MemoryEstimateMiB.From(estimate),
        };
    }

    private static StableDiffusionCaseResult Sampling(StableDiffusionBenchConfig config, StableDiffusionCase c,
        StableDiffusionCaseResult result, Action<string>? log)
    {
        var setup = Stopwatch.StartNew();
        using var model = TextToImageModel.Create(config.Model, config.Seed);
        model.Freeze();
        if (c.Precision == TrainingPrecision.Bf16) model.UsePrecision(ScalarType.BFloat16);
        int size = config.Model.ImageSize;
        using var noise = TextToImageSampler.InitialNoise(1, model.SampleShape(size, size), seed: 0);
        string prompt = ShapesPairGenerator.CleanVersusFlawed(new ShapesWorld(), 1, 16, seed: 0)[0].Prompt;
        var ready = Ready(result, setup, log);

        // No warm-up run: one run is 20 UNet forwards, over which first-call costs are spread.
        var options = new SamplingOptions(config.SamplingSteps, config.GuidanceScale);
        var clock = Stopwatch.StartNew();
        using var latents = TextToImageSampler.Denoise(model, [prompt], noise, options);
        double denoise = clock.Elapsed.TotalSeconds;
        log?.Invoke($"  {config.SamplingSteps} DDIM steps: {denoise:F1} s");
        clock.Restart();
        using var images = model.ToImages(latents);
        double decode = clock.Elapsed.TotalSeconds;
        log?.Invoke($"  VAE decode: {decode:F1} s");
        int passes = options.GuidanceScale == 1.0 ? 1 : 2;
        double gflop = (double)config.SamplingSteps * passes * UnetGflopPerForward(model);
        return ready with
        {
            DenoiseSeconds = denoise,
            VaeDecodeSeconds = decode,
            SamplingSeconds = denoise + decode,
            UnetGflop = gflop,
            UnetGflopsPerSecond = gflop / denoise,
            PeakRssMiB = ready.PeakRssMiB is null ? null : ProcessMemory.PeakRssMiB(),
        };
    }

    /// <summary>The phases of one alignment step, in seconds.</summary>
    private sealed record StepPhases(double Inputs, double ReferenceForward, double PolicyForward, double Backward,
        double Optimizer, double Total)
    {
        public override string ToString() => FormattableString.Invariant(
            $"{Total:F1} s (inputs {Inputs:F1}, reference {ReferenceForward:F1}, policy {PolicyForward:F1}, ")
            + FormattableString.Invariant($"backward {Backward:F1}, AdamW {Optimizer:F2})");
    }

    private static double Lap(Stopwatch clock)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return seconds;
    }

    /// <summary>
    /// UNet forwards of one step per image, by the section's convention: the reference's forward, the policy's,
    /// and backward as one more (the base weights are frozen, so backward computes input gradients only; the
    /// adapters' few FLOPs are not counted), plus the recomputation under checkpointing.
    /// </summary>
    public static int StepForwards(StableDiffusionCase c) => c.GradientCheckpointing ? 4 : 3;

    public static double UnetGflopPerForward(TextToImageModel model) =>
        FlopCounter.UNetForward(model.Unet, model.Tokenizer.MaxLength,
            (int)model.SampleShape(model.Config.ImageSize, model.Config.ImageSize)[^1]) / 1e9;

    /// <summary>
    /// The model is ready: notes the setup's time and peak, returns freed heap pages to the system and starts a
    /// new peak (null peak where the OS cannot reset it: a peak that includes the setup is not the work's).
    /// </summary>
    private static StableDiffusionCaseResult Ready(StableDiffusionCaseResult result, Stopwatch setup,
        Action<string>? log)
    {
        double? setupPeak = ProcessMemory.PeakRssMiB();
        NativeAllocator.Trim();
        double? ready = ProcessMemory.CurrentRssMiB();
        bool reset = ProcessMemory.ResetPeak();
        log?.Invoke($"  ready after {setup.Elapsed.TotalSeconds:F1} s: RSS {ready:F0} MiB, setup peak {setupPeak:F0}");
        return result with
        {
            SetupSeconds = setup.Elapsed.TotalSeconds,
            SetupPeakRssMiB = setupPeak,
            ReadyRssMiB = ready,
            PeakRssMiB = reset ? ready : null,
        };
    }

    /// <summary>
    /// As <see cref="PreferenceTrainer"/> prepares a LoRA run: adapters, precision, checkpointing, freezing.
    /// </summary>
    private static void Prepare(TextToImageModel policy, AlignConfig config)
    {
        policy.AddLora(config.Lora!, config.Seed);
        if (config.Precision == TrainingPrecision.Bf16) policy.UsePrecision(ScalarType.BFloat16);
        policy.Unet.GradientCheckpointing = config.GradientCheckpointing;
        foreach (var p in policy.Modules.parameters()) p.requires_grad = false;
        foreach (var p in policy.TrainableParameters()) p.requires_grad = true;
        policy.TextEncoder.eval();
        policy.Unet.train();
    }

    /// <summary>The message on one line, at most 400 characters (LibTorch's carry a C++ backtrace).</summary>
    private static string OneLine(string message)
    {
        string line = string.Join(" ",
            message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 400 ? line[..400] + "…" : line;
    }
}
