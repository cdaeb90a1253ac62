using System.Diagnostics;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Distributed;
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
/// <para>
/// Data parallel, given a communicator of N processes (<c>mpirun -np N</c>), as <see cref="PreferenceTrainer"/> is:
/// every process starts from rank 0's weights, trains its <see cref="PretrainConfig.BatchSize"/> images of each
/// global batch of N × that (with the prompts, renders, timesteps, noise and dropout one process training all of
/// them would draw: <see cref="BatchShard"/>), and the flat gradient buffer is averaged by one all-reduce per step
/// before clipping. The logged loss is averaged over the processes; only rank 0 reports and writes checkpoints.
/// </para>
/// </summary>
public static class ShapesPretrainer
{
    private const string CheckpointKind = "pretrain";

    /// <summary>
    /// Trains <paramref name="model"/> in place, writing a resumable checkpoint under
    /// <paramref name="checkpointDir"/> every <see cref="PretrainConfig.CheckpointEvery"/> steps.
    /// At the end the model holds the moving-average weights (what gets saved and sampled). With a
    /// <paramref name="communicator"/> of more than one process (which
    /// <see cref="PretrainConfig.DataParallelProcesses"/> must name) the run is data parallel; every process ends
    /// with the same model.
    /// </summary>
    public static void Run(
        TextToImageModel model, ShapesWorld world, PretrainConfig config, string checkpointDir, bool resume,
        IProgress<TrainingStepReport>? progress = null, CancellationToken cancel = default,
        ICommunicator? communicator = null)
    {
        config.Validate();
        communicator ??= SingleProcessCommunicator.Instance;
        if (config.DataParallelProcesses != communicator.Size)
            throw new InvalidSettingException(nameof(PretrainConfig.DataParallelProcesses),
                $"is {config.DataParallelProcesses}, but {communicator.Size} processes train");
        bool root = communicator.Rank == 0;
        if (!root) progress = null;
        communicator.CheckSame(SettingsHash(config), "the run's settings");
        var parameters = model.Modules.parameters().ToList();
        // Every process starts from rank 0's weights, before the moving average copies them.
        if (communicator.Size > 1)
            foreach (var p in parameters) communicator.Broadcast(p);
        using var optimizer = new FlatAdamW(
            parameters, new AdamWSettings(config.LearningRate, WeightDecay: config.WeightDecay));
        using var ema = new ExponentialMovingAverage(ModuleOf(model), config.EmaDecay);
        var schedule = new LearningRateSchedule(config.LearningRate, config.WarmupSteps, config.Steps, config.Decay);
        var shard = BatchShard.ForRank(communicator.Rank, communicator.Size, config.BatchSize);

        int start = 0;
        if (resume && !TrainingCheckpoint.Exists(checkpointDir))
            throw new DiffusionAlignException($"nothing to resume in {checkpointDir}: it holds no checkpoint");
        if (resume)
        {
            var (info, tensors) = TrainingCheckpoint.Load(checkpointDir, optimizer, CheckpointKind);
            try
            {
                CheckProcesses(info, config, checkpointDir);
                model.LoadStateTensors(
                    tensors.Where(kv => !kv.Key.StartsWith("ema.", StringComparison.Ordinal)).ToDictionary(),
                    "checkpoint");
                ema.Load(tensors
                    .Where(kv => kv.Key.StartsWith("ema.", StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key[4..], kv => kv.Value));
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
            start = info.Step;
        }
        communicator.CheckSame(start, "the step to resume from");

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
            // Every process stops at the same step, or the others would wait for it in the next all-reduce.
            if (communicator.Any(cancel.IsCancellationRequested))
            {
                cancelled = true;
                break;
            }
            double lr = schedule.At(step);
            optimizer.LearningRate = lr;

            using (var scope = NewDisposeScope())
            {
                var loss = StepLoss(model, world, config, step, shard);
                optimizer.ZeroGrad();
                loss.backward();
                // The global batch's mean gradient, before clipping: every process then clips and steps alike.
                optimizer.AverageGradients(communicator);
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
            imagesSinceReport += config.GlobalBatch;

            if ((step + 1) % config.LogEvery == 0 || step + 1 == config.Steps)
            {
                // Each process's mean over its share of the images, averaged: the global batch's mean loss.
                var meanLoss = new[] { lossSum / Math.Max(1, lossCount) };
                communicator.AllReduceMean(meanLoss);
                double seconds = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress?.Report(new TrainingStepReport(
                    step + 1, config.Steps, meanLoss[0], lr, imagesSinceReport / seconds,
                    new Dictionary<string, double>()));
                clock.Restart();
                imagesSinceReport = 0;
                lossSum = 0;
                lossCount = 0;
            }
            if (root && config.CheckpointEvery > 0 && (step + 1) % config.CheckpointEvery == 0
                && step + 1 < config.Steps)
                SaveCheckpoint(model, ema, optimizer, config, checkpointDir, step + 1);
        }
        // Every run ends with a checkpoint, finished or not, so it can be resumed or extended.
        if (root && (last > start || !TrainingCheckpoint.Exists(checkpointDir)))
            SaveCheckpoint(model, ema, optimizer, config, checkpointDir, last);
        if (cancelled) throw new OperationCanceledException(cancel);
        ema.CopyTo(ModuleOf(model));
    }

    /// <summary>
    /// The denoising loss of one batch: ‖f_θ(x_t, t, c) − target‖² with prompts dropped at the configured rate;
    /// with a <paramref name="shard"/>, of its images of the global batch (each drawn as one process drawing the
    /// whole batch draws it, so an image's draws do not depend on the process that trains it).
    /// </summary>
    public static Tensor StepLoss(TextToImageModel model, ShapesWorld world, PretrainConfig config, int step,
        BatchShard? shard = null)
    {
        var part = shard ?? BatchShard.Whole(config.BatchSize);
        if (part.Count != config.BatchSize)
            throw new ArgumentException($"the shard holds {part.Count} images, the batch {config.BatchSize}",
                nameof(shard));
        int global = part.GlobalCount;
        var rng = StepSeeds.Managed(config.Seed, step, StepSeeds.Stream.Data);
        var dropout = StepSeeds.Managed(config.Seed, step, StepSeeds.Stream.Dropout);
        var prompts = new List<string>(part.Count);
        var images = new List<RgbImage>(part.Count);
        for (int i = 0; i < global; i++)
        {
            // Every image's prompt and render parameters are drawn, in order; only the shard's are rendered (the
            // render itself draws nothing), as ShapesWorld.SampleTrainingExample would draw and render them.
            var prompt = world.Split.Train[rng.Next(world.Split.Train.Count)];
            var parameters = world.Renderer.SampleParams(prompt, rng, config.FlawProbability);
            bool dropped = dropout.NextDouble() < config.PromptDropout;
            if (i < part.Offset || i >= part.Offset + part.Count) continue;
            prompts.Add(dropped ? "" : prompt.ToString());
            images.Add(world.Renderer.Render(parameters, model.Config.ImageSize));
        }
        var x0 = ImageTensors.ToTensor(images).to(model.Device);
        using var tGen = StepSeeds.Torch(config.Seed, step, StepSeeds.Stream.Timesteps);
        using var nGen = StepSeeds.Torch(config.Seed, step, StepSeeds.Stream.Noise);
        var t = part.Rows(model.Schedule.SampleTimesteps(global, tGen)).to(model.Device);
        long[] shape = [global, .. x0.shape.Skip(1)];
        var noise = part.Rows(randn(shape, generator: nGen)).to(model.Device);
        var noisy = model.Schedule.AddNoise(x0, noise, t);
        var target = model.Schedule.TrainingTarget(x0, noise, t);
        var text = model.EncodeText(prompts);
        var prediction = model.Predict(noisy, t, text);
        return nn.functional.mse_loss(prediction, target);
    }

    /// <summary>
    /// Refuses a checkpoint made by another number of processes: that number fixes which images form each global
    /// batch, so the resumed run would not be the run it continues.
    /// </summary>
    private static void CheckProcesses(TrainingCheckpoint.Info info, PretrainConfig config, string checkpointDir)
    {
        // A checkpoint from before data parallelism has no such setting: one process made it.
        int saved = info.Settings.ValueKind == JsonValueKind.Object
            && info.Settings.TryGetProperty(nameof(PretrainConfig.DataParallelProcesses), out var n)
            && n.TryGetInt32(out int value) ? value : 1;
        if (saved != config.DataParallelProcesses)
            throw new SettingsMismatchException(checkpointDir,
            [
                new SettingsMismatchException.Difference(nameof(PretrainConfig.DataParallelProcesses),
                    saved.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    config.DataParallelProcesses.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
    }

    /// <summary>A digest of the settings, to check that every process of a data-parallel run has the same.</summary>
    private static long SettingsHash(PretrainConfig config) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(config)));

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
