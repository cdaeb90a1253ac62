using System.CommandLine;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign pretrain</c>: trains the embedded shapes-world model from scratch; under <c>mpirun -np N</c>, as one of
/// N data-parallel processes (rank 0 logs and writes the run's files).
/// </summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        var defaults = new PretrainConfig();
        var outDir = new Option<string>("--out")
        {
            Description = "Folder for model.safetensors + config.json", Required = true,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Optimizer steps", DefaultValueFactory = _ => defaults.Steps,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Images per step (under mpirun, per process)", DefaultValueFactory = _ => defaults.BatchSize,
        };
        var lr = new Option<double>("--lr")
        {
            Description = "Peak learning rate (AdamW)", DefaultValueFactory = _ => defaults.LearningRate,
        };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Linear warm-up steps", DefaultValueFactory = _ => defaults.WarmupSteps,
        };
        var checkpointEvery = new Option<int>("--checkpoint-every")
        {
            Description = "Save a resumable checkpoint every k steps (and always at the end)",
            DefaultValueFactory = _ => defaults.CheckpointEvery,
        };
        var resume = CommonOptions.Resume();
        var overwrite = CommonOptions.Overwrite();
        var seed = CommonOptions.Seed(defaults.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();

        var command = new Command("pretrain",
            "Pretrain the tiny UNet + text encoder from scratch on the shapes world");
        foreach (var o in new Option[]
                 {
                     outDir, steps, batch, lr, warmup, checkpointEvery, resume, overwrite, seed, device, threads,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.WithWorld(world => CommandRunner.Run(() =>
        {
            bool root = world.Rank == 0;
            var run = RunFolder.Check(result.GetValue(outDir)!, result.GetValue(resume), result.GetValue(overwrite));
            var dev = CommonOptions.Setup(result, device, threads);
            var config = defaults with
            {
                Steps = result.GetValue(steps),
                BatchSize = result.GetValue(batch),
                LearningRate = result.GetValue(lr),
                WarmupSteps = Math.Min(result.GetValue(warmup), Math.Max(0, result.GetValue(steps) / 10)),
                Seed = result.GetValue(seed),
                CheckpointEvery = result.GetValue(checkpointEvery),
                DataParallelProcesses = world.Size,
            };
            config.Validate();
            string dir = run.Dir;
            var shapes = new ShapesWorld();
            using var model = TextToImageModel.Create(ShapesModel.Config(shapes), config.Seed, dev);
            if (root && world.Size > 1)
                CliOutput.Log($"data parallel: {world.Size} processes × {config.BatchSize} images per step, "
                    + $"{ComputeDevice.Threads()} threads each");
            if (root)
                CliOutput.Log($"pretraining {model.ParameterCount:N0} parameters for {config.Steps} steps of "
                    + $"{config.GlobalBatch} images (seed {config.Seed}) on {dev}");
            // No process may look at --out (above) once rank 0 starts clearing and writing it.
            world.Barrier();
            if (root) run.ClearPreviousRun();
            var cancel = CommandRunner.CancelOnCtrlC();
            void Train(IProgress<TrainingStepReport>? reports) =>
                ShapesPretrainer.Run(model, shapes, config, run.Checkpoint, result.GetValue(resume), reports, cancel,
                    world);
            if (!root)
            {
                Train(null);
                return 0; // rank 0 writes the model
            }
            ProgressDisplay.Run("pretrain", config.Steps, report =>
                Train(new ImmediateProgress<TrainingStepReport>(r => report(r.Step,
                    $"loss {r.Loss:F4} lr {r.LearningRate:G3} {r.ExamplesPerSecond:F0} img/s"))));
            model.Save(dir, new Dictionary<string, string>
            {
                ["command"] = "dalign " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                ["recipe"] = System.Text.Json.JsonSerializer.Serialize(config),
            });
            CliOutput.Log(
                $"wrote {Path.Combine(dir, TextToImageModel.WeightsFileName)} and {TextToImageModel.ConfigFileName}");
            return 0;
        }, Path.Combine(result.GetValue(outDir)!, RunFolder.CheckpointFolderName))));
        return command;
    }
}
