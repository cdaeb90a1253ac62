using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// Pretrains a <see cref="TextToImageModel"/> from scratch on renders of the shapes world with
/// the plain denoising objective: data → forward → loss → backward → clip → step → EMA → log.
/// Renders are drawn on the fly, so there is no dataset to store.
/// </summary>
public static class ShapesPretrainer
{
    private const string CheckpointKind = "pretrain";

    /// <summary>
    /// Trains <paramref name="model"/> in place, writing a resumable checkpoint under
    /// <paramref name="checkpointDir"/> every <see cref="PretrainConfig.CheckpointEvery"/> steps.
    /// At the end the model holds the moving-average weights (what gets saved and sampled).
    /// </summary>
    public static void Run(
        TextToImageModel model, ShapesWorld world, PretrainConfig config, string checkpointDir, bool resume,
        IProgress<TrainingStepReport>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        var parameters = model.Modules.parameters().ToList();
        using var optimizer = new FlatAdamW(
            parameters, new AdamWSettings(config.LearningRate, WeightDecay: config.WeightDecay));
        using var ema = new ExponentialMovingAverage(ModuleOf(model), config.EmaDecay);
        var schedule = new LearningRateSchedule(config.LearningRate, config.WarmupSteps, config.Steps, config.Decay);

        int start = 0;
        if (resume && !TrainingCheckpoint.Exists(checkpointDir))
            throw new DiffusionAlignException($"nothing to resume in {checkpointDir}: it holds no checkpoint");
        if (resume)
        {
            var (info, tensors) = TrainingCheckpoint.Load(checkpointDir, optimizer, CheckpointKind);
            model.LoadStateTensors(
                tensors.Where(kv => !kv.Key.StartsWith("ema.", StringComparison.Ordinal)).ToDictionary(),
                "checkpoint");
            ema.Load(tensors
                .Where(kv => kv.Key.StartsWith("ema.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[4..], kv => kv.Value));
            foreach (var t in tensors.Values) t.Dispose();
            start = info.Step;
        }

        model.Modules.train();
        var clock = Stopwatch.StartNew();
        int imagesSinceReport = 0;
        double lossSum = 0;
        int lossCount = 0;
        int last = start;
        bool cancelled = false;
        for (int step = start; step < config.Steps; step++)
        {
            // A stop request ends the run between steps, with a checkpoint of the last finished one.
            if (cancel.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }
            double lr = schedule.At(step);
            optimizer.LearningRate = lr;

            using (var scope = NewDisposeScope())
            {
                var loss = StepLoss(model, world, config, step);
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.ClipGradNorm(config.GradClipNorm).Dispose();
                optimizer.Step();
                bool log = (step + 1) % config.LogEvery == 0 || step + 1 == config.Steps;
                if (log)
                {
                    // Reading the loss synchronises with LibTorch; only done on logging steps.
                    lossSum += loss.item<float>();
                    lossCount++;
                }
            }
            ema.Update(ModuleOf(model), step);
            last = step + 1;
            imagesSinceReport += config.BatchSize;

            if ((step + 1) % config.LogEvery == 0 || step + 1 == config.Steps)
            {
                double seconds = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress?.Report(new TrainingStepReport(
                    step + 1, config.Steps, lossSum / Math.Max(1, lossCount), lr, imagesSinceReport / seconds,
                    new Dictionary<string, double>()));
                clock.Restart();
                imagesSinceReport = 0;
                lossSum = 0;
                lossCount = 0;
            }
            if (config.CheckpointEvery > 0 && (step + 1) % config.CheckpointEvery == 0 && step + 1 < config.Steps)
                SaveCheckpoint(model, ema, optimizer, config, checkpointDir, step + 1);
        }
        // Every run ends with a checkpoint, finished or not, so it can be resumed or extended.
        if (last > start || !TrainingCheckpoint.Exists(checkpointDir))
            SaveCheckpoint(model, ema, optimizer, config, checkpointDir, last);
        if (cancelled) throw new OperationCanceledException(cancel);
        ema.CopyTo(ModuleOf(model));
    }

    /// <summary>
    /// The denoising loss of one batch: ‖f_θ(x_t, t, c) − target‖² with prompts dropped at the configured rate.
    /// </summary>
    public static Tensor StepLoss(TextToImageModel model, ShapesWorld world, PretrainConfig config, int step)
    {
        var rng = StepSeeds.Managed(config.Seed, step, StepSeeds.Stream.Data);
        var dropout = StepSeeds.Managed(config.Seed, step, StepSeeds.Stream.Dropout);
        var prompts = new string[config.BatchSize];
        var images = new RgbImage[config.BatchSize];
        for (int i = 0; i < config.BatchSize; i++)
        {
            var (prompt, image) = world.SampleTrainingExample(rng, config.FlawProbability, model.Config.ImageSize);
            prompts[i] = dropout.NextDouble() < config.PromptDropout ? "" : prompt.ToString();
            images[i] = image;
        }
        var x0 = ImageTensors.ToTensor(images).to(model.Device);
        using var tGen = StepSeeds.Torch(config.Seed, step, StepSeeds.Stream.Timesteps);
        using var nGen = StepSeeds.Torch(config.Seed, step, StepSeeds.Stream.Noise);
        var t = model.Schedule.SampleTimesteps(config.BatchSize, tGen).to(model.Device);
        var noise = randn(x0.shape, generator: nGen).to(model.Device);
        var noisy = model.Schedule.AddNoise(x0, noise, t);
        var target = model.Schedule.TrainingTarget(x0, noise, t);
        var text = model.EncodeText(prompts);
        var prediction = model.Predict(noisy, t, text);
        return nn.functional.mse_loss(prediction, target);
    }

    private static void SaveCheckpoint(
        TextToImageModel model, ExponentialMovingAverage ema, FlatAdamW optimizer, PretrainConfig config,
        string dir, int step)
    {
        using var scope = NewDisposeScope(); // frees the detached weight views
        var tensors = new Dictionary<string, Tensor>(model.StateTensors());
        foreach (var (name, shadow) in ema.Shadows) tensors["ema." + name] = shadow;
        var settings = JsonSerializer.SerializeToElement(config);
        TrainingCheckpoint.Save(dir, new TrainingCheckpoint.Info(step, CheckpointKind, settings), tensors, optimizer,
            config.CheckpointsTotalLimit);
    }

    /// <summary>UNet and text encoder viewed as one module so EMA covers both with checkpoint names.</summary>
    private static nn.Module ModuleOf(TextToImageModel model) => model.Modules;
}
