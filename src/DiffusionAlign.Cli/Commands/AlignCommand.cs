using System.CommandLine;
using DiffusionAlign.Data;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Logging;

namespace DiffusionAlign.Cli.Commands;

/// <summary><c>dalign align</c>: fine-tunes a model on preference pairs with DSPO, Diffusion-DPO or SFT.</summary>
public static class AlignCommand
{
    public static Command Create()
    {
        var defaults = new AlignConfig();
        var logDefaults = new TensorBoardConfig();
        var method = CommonOptions.Choice("--method", "dspo, dpo or sft", "dspo", "dpo", "sft");
        method.Required = true;
        var model = new Option<string>("--model")
        {
            Description = "Starting model (also the frozen reference): a DiffusionAlign model folder or a diffusers "
                + "Stable Diffusion folder",
            Required = true,
        };
        var pairs = new Option<string>("--pairs")
        {
            Description = "Pairs folder / pairs.jsonl, or Pick-a-Pic parquet file or folder", Required = true,
        };
        var outDir = new Option<string>("--out")
        {
            Description = "Output folder: the model (with LoRA: the adapters and a note naming the base), "
                + "metrics.jsonl, checkpoint/",
            Required = true,
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
        var variant = CommonOptions.Choice("--dspo-variant",
            "DSPO form: sd15 (the paper's score matching) or sdxl (the authors' SDXL branch)", "sd15", "sdxl");
        variant.DefaultValueFactory = _ => defaults.DspoVariant == DspoVariant.Sdxl ? "sdxl" : "sd15";
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
        var loraRank = new Option<int?>("--lora-rank")
        {
            Description = "Train LoRA adapters of this rank on the UNet's attention projections instead of the "
                + "whole UNet (the reference is then the base model with the adapters off)",
        };
        var loraAlpha = new Option<double?>("--lora-alpha") { Description = "LoRA alpha (default: the rank)" };
        var loraDropout = new Option<double>("--lora-dropout")
        {
            Description = "Dropout on the adapters' input", DefaultValueFactory = _ => 0.0,
        };
        var loraText = new Option<bool>("--lora-text-encoder")
        {
            Description = "Also put adapters on the text encoder's attention (q/k/v/out projections)",
        };
        var resolution = new Option<int?>("--resolution")
        {
            Description = "Training image side in pixels (default: the model's native size)",
        };
        var randomFlip = new Option<bool>("--random-flip")
        {
            Description = "Flip both images of a pair horizontally with probability 1/2 (the papers' recipe)",
        };
        var promptDropout = new Option<double>("--prompt-dropout")
        {
            Description = "Share of prompts replaced by the empty prompt (the papers use 0.2 on Pick-a-Pic)",
            DefaultValueFactory = _ => defaults.PromptDropout,
        };
        var precision = CommonOptions.Choice("--precision",
            "fp32, or bf16 (bfloat16 frozen weights and activations; LoRA runs only)", "fp32", "bf16");
        precision.DefaultValueFactory = _ => "fp32";
        var checkpointing = new Option<bool>("--gradient-checkpointing")
        {
            Description = "Recompute UNet block activations in backward: less memory, more compute",
        };
        var reportTo = CommonOptions.Choice("--report-to",
            "none, or tensorboard: event files of the training scalars and validation sample grids (metrics.jsonl "
            + "is written either way)", "none", "tensorboard");
        reportTo.DefaultValueFactory = _ => "none";
        var logDir = new Option<string>("--log-dir")
        {
            Description = "Folder of the TensorBoard event files (default: OUT/"
                + $"{TensorBoardConfig.DefaultLogFolderName})",
        };
        var validationEvery = new Option<int?>("--validation-every")
        {
            Description = "Sample the validation grid every N steps and at the end, 0 = never "
                + $"(default {logDefaults.ValidationEvery})",
        };
        var validationPrompts = new Option<string[]>("--validation-prompts")
        {
            Description = "Prompts of the validation grid, one row each (default for shapes-world models: "
                + $"{TensorBoardConfig.DefaultPromptCount} of the world's validation prompts)",
            AllowMultipleArgumentsPerToken = true,
        };
        var resume = CommonOptions.Resume();
        var overwrite = CommonOptions.Overwrite();
        var seed = CommonOptions.Seed(defaults.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();

        var command = new Command("align",
            "Align a model with preference pairs (DSPO, Diffusion-DPO or SFT on winners)");
        foreach (var o in new Option[]
                 {
                     method, model, pairs, outDir, steps, batch, accum, lr, beta, warmup, variant, marginBeta, logEvery,
                     checkpointEvery, maxPairs, loraRank, loraAlpha, loraDropout, loraText, resolution, randomFlip,
                     promptDropout, precision, checkpointing, reportTo, logDir, validationEvery, validationPrompts,
                     resume, overwrite, seed, device, threads,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var run = RunFolder.Check(result.GetValue(outDir)!, result.GetValue(resume), result.GetValue(overwrite));
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
                Lora = result.GetValue(loraRank) is int rank
                    ? new LoraConfig
                    {
                        Rank = rank, Alpha = result.GetValue(loraAlpha), Dropout = result.GetValue(loraDropout),
                        TextEncoder = result.GetValue(loraText),
                    }
                    : null,
                Precision = result.GetValue(precision) == "bf16" ? TrainingPrecision.Bf16 : TrainingPrecision.Fp32,
                GradientCheckpointing = result.GetValue(checkpointing),
                RandomFlip = result.GetValue(randomFlip),
                PromptDropout = result.GetValue(promptDropout),
            };
            if (config.Lora is null
                && (result.GetValue(loraAlpha) is not null || result.GetValue(loraText)
                    || result.GetValue(loraDropout) != 0))
                throw new DiffusionAlignException(
                    "--lora-alpha, --lora-dropout and --lora-text-encoder need --lora-rank");
            config.Validate();
            var tensorBoard = LogConfig(result, run, reportTo, logDir, validationEvery, validationPrompts);
            // Checked here too, not only by the loader, so it fails before the model loads.
            InvalidSettingException.Check(result.GetValue(maxPairs) is null or >= 1, "MaxPairs",
                $"must be at least 1, got {result.GetValue(maxPairs)}");
            string dir = run.Dir;
            using var policy = TextToImageModel.Load(result.GetValue(model)!, dev);
            string pairsPath = result.GetValue(pairs)!;
            using var cache = LatentPairCache.IsCache(pairsPath) ? LatentPairCache.Open(pairsPath) : null;
            PreferenceDataset? dataset = null;
            LoadReport? report = null;
            // Before reading any pairs: a run that cannot fit is refused with what to change.
            int trainingSize = cache?.Info.Resolution ?? result.GetValue(resolution) ?? policy.Config.ImageSize;
            policy.SampleShape(trainingSize, trainingSize); // a side the VAE can take
            var estimate = MemoryEstimate.ForAlignment(policy, config, trainingSize);
            if (MemoryEstimate.Check(estimate, MemoryEstimate.AvailableBytes()) is string tooLarge)
                throw new DiffusionAlignException(tooLarge);
            double needed = estimate.RequiredBytes / (1024.0 * 1024 * 1024);
            Console.WriteLine($"memory (GiB): {estimate.Summary()}; about {needed:0.00} GiB needed");
            using var logger = tensorBoard is null ? null : Logger(tensorBoard, policy);
            if (cache is not null)
            {
                if (result.GetValue(resolution) is int asked && asked != cache.Info.Resolution)
                    throw new DiffusionAlignException(
                        $"the latent cache {pairsPath} is at {cache.Info.Resolution} pixels, not {asked}");
                if (result.GetValue(maxPairs) is not null)
                    throw new DiffusionAlignException("--max-pairs applies when the cache is made (cache-latents)");
                cache.CheckFits(policy);
            }
            else
            {
                // Prompts the model cannot encode are skipped now, not met by a batch hours into the run.
                (dataset, report) = PreferenceData.Load(pairsPath, trainingSize, result.GetValue(maxPairs),
                    PreferenceData.PromptCheck(policy.Tokenizer));
                Console.WriteLine($"data: {report}");
            }
            int count = cache?.Count ?? dataset!.Count;
            string kind = cache is null ? "" : " (latent cache)";
            Console.WriteLine($"{m.ToString().ToUpperInvariant()}: {count} pairs{kind}, "
                + $"{config.Steps} steps × {config.EffectiveBatch} pairs, β={config.Beta}, lr={config.LearningRate}, "
                + $"seed {config.Seed}");
            run.ClearPreviousRun();
            if (tensorBoard is not null && run.Overwrite) TensorBoardLogger.DeleteRun(tensorBoard.LogDir);
            var cancel = CommandRunner.CancelOnCtrlC();
            int done = 0;
            string metrics = run.Metrics;
            string checkpoint = run.Checkpoint;
            ProgressDisplay.Run($"align {m.ToString().ToLowerInvariant()}", config.Steps, progress =>
            {
                var reports = new ImmediateProgress<TrainingStepReport>(r => progress(r.Step, Status(r)));
                done = cache is not null
                    ? PreferenceTrainer.Run(policy, cache, config, checkpoint, metrics, result.GetValue(resume),
                        reports, cancel, logger)
                    : PreferenceTrainer.Run(policy, dataset!, config, checkpoint, metrics, result.GetValue(resume),
                        reports, cancel, logger);
            });
            var provenance = new Dictionary<string, string>
            {
                ["command"] = "dalign " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                ["recipe"] = System.Text.Json.JsonSerializer.Serialize(config),
            };
            string written;
            if (policy.IsLatent && policy.HasAdapters)
            {
                AlignmentRunFolder.Save(policy, dir, provenance);
                written = "LoRA adapters in " + Path.Combine(dir, LoraAdapters.WeightsFileName);
            }
            else if (policy.IsLatent)
            {
                DiffusersPipelineFolder.Save(policy, dir, mergeLora: false, provenance);
                written = "a diffusers folder in " + dir;
            }
            else
            {
                policy.Save(dir, provenance);
                written = Path.Combine(dir, TextToImageModel.WeightsFileName);
            }
            Console.WriteLine($"wrote {written} after {done} steps; metrics in {metrics}");
            return 0;
        }, Path.Combine(result.GetValue(outDir)!, RunFolder.CheckpointFolderName)));
        return command;
    }

    /// <summary>
    /// The TensorBoard settings of the flags (null with --report-to none, which the other logging flags need), checked
    /// before any work: a log folder holding another run's events needs --resume or --overwrite, as --out does.
    /// </summary>
    private static TensorBoardConfig? LogConfig(ParseResult result, RunFolder run, Option<string> reportTo,
        Option<string> logDir, Option<int?> validationEvery, Option<string[]> validationPrompts)
    {
        string? dir = result.GetValue(logDir);
        int? every = result.GetValue(validationEvery);
        // An option of many values reads as empty, not null, when it is not given.
        string[]? prompts = result.GetValue(validationPrompts) is { Length: > 0 } given ? given : null;
        if (result.GetValue(reportTo) != "tensorboard")
        {
            if (dir is not null || every is not null || prompts is not null)
                throw new DiffusionAlignException(
                    "--log-dir, --validation-every and --validation-prompts need --report-to tensorboard");
            return null;
        }
        var defaults = new TensorBoardConfig();
        var config = defaults with
        {
            LogDir = dir ?? Path.Combine(run.Dir, TensorBoardConfig.DefaultLogFolderName),
            ValidationEvery = every ?? defaults.ValidationEvery,
            ValidationPrompts = prompts ?? defaults.ValidationPrompts,
        };
        config.Validate();
        OutputPath.CheckFolder(config.LogDir, "--log-dir");
        if (!run.Resuming && !run.Overwrite && TensorBoardEventFile.In(config.LogDir).Count > 0)
            throw new DiffusionAlignException(
                $"{config.LogDir} holds another run's TensorBoard events; pass --resume to continue it or --overwrite "
                + "to replace it, or choose another --log-dir");
        return config;
    }

    /// <summary>
    /// The logger, with the model's default validation prompts when none were given (a shapes-world model has some;
    /// for any other the grid is skipped, said in one line).
    /// </summary>
    private static TensorBoardLogger Logger(TensorBoardConfig config, TextToImageModel policy)
    {
        if (config.ValidationPrompts.Count == 0)
            config = config with { ValidationPrompts = TensorBoardConfig.DefaultValidationPrompts(policy) };
        if (config.ValidationEvery > 0 && config.ValidationPrompts.Count == 0)
            Console.WriteLine(
                "validation grids: skipped (this model has no default prompts: pass --validation-prompts)");
        Console.WriteLine($"tensorboard: logging to {config.LogDir} (view: tensorboard --logdir {config.LogDir})");
        return new TensorBoardLogger(config, policy);
    }

    private static string Status(TrainingStepReport r)
    {
        bool hasAccuracy = r.Metrics.TryGetValue(ObjectiveMetrics.ImplicitAccuracy, out var acc);
        string accuracy = hasAccuracy ? $" acc {acc:F2}" : "";
        return $"loss {r.Loss:F4}{accuracy} {r.ExamplesPerSecond:F1} pairs/s";
    }
}
