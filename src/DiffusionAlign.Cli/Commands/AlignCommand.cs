using System.CommandLine;
using DiffusionAlign.Data;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;

namespace DiffusionAlign.Cli.Commands;

/// <summary><c>dalign align</c>: fine-tunes a model on preference pairs with DSPO, Diffusion-DPO or SFT.</summary>
public static class AlignCommand
{
    public static Command Create()
    {
        var defaults = new AlignConfig();
        var method = new Option<string>("--method") { Description = "dspo, dpo or sft", Required = true };
        method.AcceptOnlyFromAmong("dspo", "dpo", "sft");
        var model = new Option<string>("--model")
        {
            Description = "Starting model folder (also the frozen reference)", Required = true,
        };
        var pairs = new Option<string>("--pairs")
        {
            Description = "Pairs folder / pairs.jsonl, or Pick-a-Pic parquet file or folder", Required = true,
        };
        var outDir = new Option<string>("--out")
        {
            Description = "Output folder: model, metrics.jsonl, checkpoint/", Required = true,
        };
        // The next five default per method (AlignConfig.DefaultsFor), so they are left unset here.
        var steps = new Option<int?>("--steps") { Description = "Optimizer steps" };
        var batch = new Option<int?>("--batch") { Description = "Pairs per micro-batch" };
        var accum = new Option<int?>("--grad-accum")
        {
            Description = "Micro-batches per optimizer step (effective batch = batch × grad-accum)",
        };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (AdamW)" };
        var beta = new Option<double?>("--beta") { Description = "β (DPO: KL strength; DSPO: score-shift scale)" };
        var warmup = new Option<int?>("--warmup") { Description = "Linear warm-up steps" };
        var variant = new Option<string>("--dspo-variant")
        {
            Description = "DSPO form: sd15 (the paper's score matching) or sdxl (the authors' SDXL branch)",
            DefaultValueFactory = _ => defaults.DspoVariant == DspoVariant.Sdxl ? "sdxl" : "sd15",
        };
        variant.AcceptOnlyFromAmong("sd15", "sdxl");
        var marginBeta = new Option<double?>("--dspo-margin-beta")
        {
            Description = "Scale of DSPO's margin u when it should differ from β (default: β, as the authors' code)",
        };
        var logEvery = new Option<int>("--log-every")
        {
            Description = "Read metrics back every k steps", DefaultValueFactory = _ => defaults.LogEvery,
        };
        var checkpointEvery = new Option<int>("--checkpoint-every")
        {
            Description = "Save a resumable checkpoint every k steps",
            DefaultValueFactory = _ => defaults.CheckpointEvery,
        };
        var maxPairs = new Option<int?>("--max-pairs") { Description = "Use at most this many pairs" };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/checkpoint with the same flags" };
        var seed = CommonOptions.Seed(defaults.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();

        var command = new Command("align",
            "Align a model with preference pairs (DSPO, Diffusion-DPO or SFT on winners)");
        foreach (var o in new Option[]
                 {
                     method, model, pairs, outDir, steps, batch, accum, lr, beta, warmup, variant, marginBeta, logEvery,
                     checkpointEvery, maxPairs, resume, seed, device, threads,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var dev = CommonOptions.Setup(result, device, threads);
            var m = result.GetValue(method) switch
            {
                "dpo" => AlignMethod.Dpo,
                "sft" => AlignMethod.Sft,
                _ => AlignMethod.Dspo,
            };
            var recipe = AlignConfig.DefaultsFor(m);
            var config = recipe with
            {
                Steps = result.GetValue(steps) ?? recipe.Steps,
                BatchSize = result.GetValue(batch) ?? recipe.BatchSize,
                GradAccum = result.GetValue(accum) ?? recipe.GradAccum,
                LearningRate = result.GetValue(lr) ?? recipe.LearningRate,
                Beta = result.GetValue(beta) ?? recipe.Beta,
                WarmupSteps = result.GetValue(warmup) ?? recipe.WarmupSteps,
                LogEvery = result.GetValue(logEvery),
                CheckpointEvery = result.GetValue(checkpointEvery),
                Seed = result.GetValue(seed),
                DspoVariant = result.GetValue(variant) == "sdxl" ? DspoVariant.Sdxl : DspoVariant.ScoreMatching,
                DspoMarginBeta = result.GetValue(marginBeta),
            };
            config.Validate();
            string dir = result.GetValue(outDir)!;
            using var policy = TextToImageModel.Load(result.GetValue(model)!, dev);
            var (dataset, report) = PreferenceData.Load(result.GetValue(pairs)!, policy.Config.ImageSize,
                result.GetValue(maxPairs));
            Console.WriteLine($"{m.ToString().ToUpperInvariant()}: {dataset.Count} pairs, {config.Steps} steps × "
                + $"{config.EffectiveBatch} pairs, β={config.Beta}, lr={config.LearningRate}, seed {config.Seed}");
            var cancel = CommandRunner.CancelOnCtrlC();
            int done = 0;
            string metrics = Path.Combine(dir, "metrics.jsonl");
            ProgressDisplay.Run($"align {m.ToString().ToLowerInvariant()}", config.Steps, progress =>
            {
                var reports = new ImmediateProgress<TrainingStepReport>(r => progress(r.Step, Status(r)));
                done = PreferenceTrainer.Run(policy, dataset, config, Path.Combine(dir, "checkpoint"), metrics,
                    result.GetValue(resume), reports, cancel);
            });
            policy.Save(dir, new Dictionary<string, string>
            {
                ["command"] = "dalign " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                ["recipe"] = System.Text.Json.JsonSerializer.Serialize(config),
            });
            Console.WriteLine($"wrote {Path.Combine(dir, TextToImageModel.WeightsFileName)} after {done} steps; "
                + $"metrics in {metrics}");
            Console.WriteLine($"data: {report}");
            return 0;
        }));
        return command;
    }

    private static string Status(TrainingStepReport r)
    {
        bool hasAccuracy = r.Metrics.TryGetValue(ObjectiveMetrics.ImplicitAccuracy, out var acc);
        string accuracy = hasAccuracy ? $" acc {acc:F2}" : "";
        return $"loss {r.Loss:F4}{accuracy} {r.ExamplesPerSecond:F1} pairs/s";
    }
}
