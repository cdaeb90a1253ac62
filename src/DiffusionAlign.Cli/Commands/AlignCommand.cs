using System.CommandLine;
using DiffusionAlign.Data;
using DiffusionAlign.Distributed;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Logging;
using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign align</c>: fine-tunes a model on preference pairs with DSPO, Diffusion-DPO or SFT; under
/// <c>mpirun -np N</c>, as one of N data-parallel processes (rank 0 logs and writes the run's files).
/// </summary>
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
        // Required unless --online, which samples its own pairs.
        var pairs = new Option<string>("--pairs")
        {
            Description = "Pairs folder / pairs.jsonl, or Pick-a-Pic parquet file or folder "
                + "[default: none; needed without --online]",
        };
        var outDir = new Option<string>("--out")
        {
            Description = "Output folder: the model (with LoRA: the adapters and a note naming the base), "
                + "metrics.jsonl, checkpoint/ (--online: also online.json, online.jsonl, rounds/)",
            Required = true,
        };
        // Recipe options have no parser default: an absent one takes the method's (AlignConfig.DefaultsFor), which
        // is also where help reads it from.
        var steps = new Option<int?>("--steps")
        {
            Description = "Optimizer steps " + RecipeDefaults.Describe(nameof(AlignConfig.Steps), c => c.Steps),
        };
        var batch = new Option<int?>("--batch")
        {
            Description = "Pairs per micro-batch "
                + RecipeDefaults.Describe(nameof(AlignConfig.BatchSize), c => c.BatchSize),
        };
        var accum = new Option<int?>("--grad-accum")
        {
            Description = "Micro-batches per optimizer step (effective batch = batch × grad-accum) "
                + RecipeDefaults.Describe(nameof(AlignConfig.GradAccum), c => c.GradAccum),
        };
        var lr = new Option<double?>("--lr")
        {
            Description = "Peak learning rate (AdamW); with --scale-lr, per pair of the effective batch "
                + RecipeDefaults.Describe(nameof(AlignConfig.LearningRate), c => c.LearningRate),
        };
        var scaleLr = new Option<bool>("--scale-lr")
        {
            Description = "Multiply --lr by batch × grad-accum, as diffusers' --scale_lr and the papers' recipes "
                + "(1e-8 per pair × 2048 pairs = 2.048e-5); the run records the scaled rate [default: off]",
        };
        var beta = new Option<double?>("--beta")
        {
            Description = "β (DPO: KL strength; DSPO: score-shift scale) "
                + RecipeDefaults.Describe(nameof(AlignConfig.Beta), c => c.Beta),
        };
        var scheduler = CommonOptions.Choice("--lr-scheduler",
            "Learning-rate schedule, as diffusers' get_scheduler: "
            + $"{string.Join(", ", LearningRateSchedulerWords.All)}; "
            + "all but constant warm up linearly, then stay (constant_with_warmup) or decay to 0 at the last step "
            + "(polynomial: to 1e-7) "
            + RecipeDefaults.Describe(nameof(AlignConfig.LrScheduler),
                c => LearningRateSchedulerWords.ToWord(c.LrScheduler)),
            [.. LearningRateSchedulerWords.All]);
        scheduler.HelpName = "schedule"; // the values are in the description; listed here they widen every line
        var warmup = new Option<int?>("--warmup")
        {
            Description = "Linear warm-up steps (diffusers' --lr_warmup_steps) "
                + RecipeDefaults.Describe(nameof(AlignConfig.WarmupSteps), c => c.WarmupSteps,
                    "0 with --lr-scheduler constant"),
        };
        var numCycles = new Option<int?>("--lr-num-cycles")
        {
            Description = "Hard restarts of cosine_with_restarts "
                + RecipeDefaults.Describe(nameof(AlignConfig.LrNumCycles), c => c.LrNumCycles),
        };
        var power = new Option<double?>("--lr-power")
        {
            Description = "Power of the polynomial schedule, which ends at 1e-7 "
                + RecipeDefaults.Describe(nameof(AlignConfig.LrPower), c => c.LrPower),
        };
        var maxGradNorm = new Option<double?>("--max-grad-norm")
        {
            Description = "Clip the gradients' joint 2-norm to this "
                + RecipeDefaults.Describe(nameof(AlignConfig.GradClipNorm), c => c.GradClipNorm),
        };
        var adamBeta1 = new Option<double?>("--adam-beta1")
        {
            Description = "AdamW β1 " + RecipeDefaults.Describe(nameof(AlignConfig.AdamBeta1), c => c.AdamBeta1),
        };
        var adamBeta2 = new Option<double?>("--adam-beta2")
        {
            Description = "AdamW β2 " + RecipeDefaults.Describe(nameof(AlignConfig.AdamBeta2), c => c.AdamBeta2),
        };
        var weightDecay = new Option<double?>("--adam-weight-decay")
        {
            Description = "AdamW decoupled weight decay "
                + RecipeDefaults.Describe(nameof(AlignConfig.WeightDecay), c => c.WeightDecay),
        };
        var adamEpsilon = new Option<double?>("--adam-epsilon")
        {
            Description = "AdamW ε " + RecipeDefaults.Describe(nameof(AlignConfig.AdamEpsilon), c => c.AdamEpsilon),
        };
        var variant = CommonOptions.Choice("--dspo-variant",
            "DSPO form: sd15 (the paper's score matching) or sdxl (the authors' SDXL branch) "
            + RecipeDefaults.Describe(nameof(AlignConfig.DspoVariant),
                c => c.DspoVariant == DspoVariant.Sdxl ? "sdxl" : "sd15"),
            "sd15", "sdxl");
        var marginBeta = new Option<double?>("--dspo-margin-beta")
        {
            Description = "Scale of DSPO's margin u when it should differ from β "
                + RecipeDefaults.Describe(nameof(AlignConfig.DspoMarginBeta),
                    c => c.DspoMarginBeta ?? (object)"β, as the authors' code"),
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
        var checkpointsLimit = new Option<int?>("--checkpoints-total-limit")
        {
            HelpName = "k",
            Description = "Keep only the newest k checkpoints "
                + RecipeDefaults.Describe(nameof(AlignConfig.CheckpointsTotalLimit), c => c.CheckpointsTotalLimit),
        };
        var maxPairs = new Option<int?>("--max-pairs")
        {
            Description = "Use at most this many pairs [default: all]",
        };
        var loraRank = new Option<int?>("--lora-rank")
        {
            Description = "Train LoRA adapters of this rank on the UNet's attention projections instead of the "
                + "whole UNet (the reference is then the base model with the adapters off) "
                + "[default: none, the whole UNet trains]",
        };
        var loraAlpha = new Option<double?>("--lora-alpha") { Description = "LoRA alpha [default: the rank]" };
        var loraDropout = new Option<double>("--lora-dropout")
        {
            Description = "Dropout on the adapters' input", DefaultValueFactory = _ => 0.0,
        };
        var loraText = new Option<bool>("--lora-text-encoder")
        {
            Description = "Also put adapters on the text encoder's attention (q/k/v/out projections) [default: off]",
        };
        var resolution = new Option<int?>("--resolution")
        {
            Description = "Training image side in pixels [default: the model's native size]",
        };
        var randomFlip = new Option<bool>("--random-flip")
        {
            Description = "Flip both images of a pair horizontally with probability 1/2 (the papers' recipe) "
                + "[default: off]",
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
            Description = "Recompute UNet block activations in backward: less memory, more compute [default: off]",
        };
        var reportTo = CommonOptions.Choice("--report-to",
            "none, or tensorboard: event files of the training scalars and validation sample grids (metrics.jsonl "
            + "is written either way)", "none", "tensorboard");
        reportTo.DefaultValueFactory = _ => "none";
        var logDir = new Option<string>("--log-dir")
        {
            Description = "Folder of the TensorBoard event files [default: OUT/"
                + $"{TensorBoardConfig.DefaultLogFolderName}]",
        };
        var validationEvery = new Option<int?>("--validation-every")
        {
            Description = "Sample the validation grid every N steps and at the end, 0 = never "
                + $"[default: {logDefaults.ValidationEvery}]",
        };
        var validationPrompts = new Option<string[]>("--validation-prompts")
        {
            Description = "Prompts of the validation grid, one row each [default: for shapes-world models "
                + $"{TensorBoardConfig.DefaultPromptCount} of the world's validation prompts; none otherwise]",
            AllowMultipleArgumentsPerToken = true,
        };
        var resume = CommonOptions.Resume();
        resume.Description += " [default: off]";
        var overwrite = CommonOptions.Overwrite();
        overwrite.Description += " [default: off]";
        var seed = CommonOptions.Seed(defaults.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var online = new AlignOnline();

        var command = new Command("align",
            "Align a model with preference pairs (DSPO, Diffusion-DPO or SFT on winners)");
        foreach (var o in new Option[]
                 {
                     method, model, pairs, outDir, steps, batch, accum, lr, scaleLr, beta, scheduler, warmup,
                     numCycles, power, maxGradNorm, adamBeta1, adamBeta2, weightDecay, adamEpsilon, variant,
                     marginBeta, logEvery, checkpointEvery, checkpointsLimit, maxPairs, loraRank, loraAlpha,
                     loraDropout, loraText, resolution, randomFlip, promptDropout, precision, checkpointing,
                     reportTo, logDir, validationEvery, validationPrompts, resume, overwrite, seed, device, threads,
                 })
            command.Options.Add(o);
        foreach (var o in online.Options) command.Options.Add(o);
        command.SetAction(result => CommandRunner.WithWorld(world => CommandRunner.Run(() =>
        {
            bool root = world.Rank == 0;
            var run = RunFolder.Check(result.GetValue(outDir)!, result.GetValue(resume), result.GetValue(overwrite));
            var dev = CommonOptions.Setup(result, device, threads);
            var m = result.GetValue(method) switch
            {
                "dpo" => AlignMethod.Dpo,
                "sft" => AlignMethod.Sft,
                _ => AlignMethod.Dspo,
            };
            var recipe = AlignConfig.DefaultsFor(m);
            var lrScheduler = result.GetValue(scheduler) is string word
                ? LearningRateSchedulerWords.Parse(word)
                : recipe.LrScheduler;
            var config = recipe with
            {
                Steps = result.GetValue(steps) ?? recipe.Steps,
                BatchSize = result.GetValue(batch) ?? recipe.BatchSize,
                GradAccum = result.GetValue(accum) ?? recipe.GradAccum,
                LearningRate = result.GetValue(lr) ?? recipe.LearningRate,
                Beta = result.GetValue(beta) ?? recipe.Beta,
                LrScheduler = lrScheduler,
                // diffusers' constant schedule takes no warm-up: record none unless one was asked for.
                WarmupSteps = result.GetValue(warmup)
                    ?? (lrScheduler == LearningRateScheduler.Constant ? 0 : recipe.WarmupSteps),
                LrNumCycles = result.GetValue(numCycles) ?? recipe.LrNumCycles,
                LrPower = result.GetValue(power) ?? recipe.LrPower,
                GradClipNorm = result.GetValue(maxGradNorm) ?? recipe.GradClipNorm,
                AdamBeta1 = result.GetValue(adamBeta1) ?? recipe.AdamBeta1,
                AdamBeta2 = result.GetValue(adamBeta2) ?? recipe.AdamBeta2,
                WeightDecay = result.GetValue(weightDecay) ?? recipe.WeightDecay,
                AdamEpsilon = result.GetValue(adamEpsilon) ?? recipe.AdamEpsilon,
                LogEvery = result.GetValue(logEvery),
                CheckpointEvery = result.GetValue(checkpointEvery),
                CheckpointsTotalLimit = result.GetValue(checkpointsLimit) ?? recipe.CheckpointsTotalLimit,
                Seed = result.GetValue(seed),
                DspoVariant = result.GetValue(variant) switch
                {
                    "sdxl" => DspoVariant.Sdxl,
                    "sd15" => DspoVariant.ScoreMatching,
                    _ => recipe.DspoVariant,
                },
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
                DataParallelProcesses = world.Size,
            };
            if (result.GetValue(scaleLr)) config = config.WithScaledLearningRate();
            if (config.Lora is null
                && (result.GetValue(loraAlpha) is not null || result.GetValue(loraText)
                    || result.GetValue(loraDropout) != 0))
                throw new DiffusionAlignException(
                    "--lora-alpha, --lora-dropout and --lora-text-encoder need --lora-rank");
            config.Validate();
            // The settings typed on the command line: one the method or schedule does not read is worth a warning.
            var given = new (Option Option, string Setting)[]
                {
                    (beta, nameof(AlignConfig.Beta)), (variant, nameof(AlignConfig.DspoVariant)),
                    (marginBeta, nameof(AlignConfig.DspoMarginBeta)), (numCycles, nameof(AlignConfig.LrNumCycles)),
                    (power, nameof(AlignConfig.LrPower)),
                }
                .Where(o => result.GetResult(o.Option) is { Implicit: false })
                .Select(o => o.Setting).ToList();
            if (root) Warn(AlignConfigWarnings.Check(config, given));
            var tensorBoard = LogConfig(result, run, reportTo, logDir, validationEvery, validationPrompts);
            if (online.Config(result, config) is { } onlineConfig)
            {
                if (result.GetValue(pairs) is not null)
                    throw new DiffusionAlignException("--online samples its pairs from the policy: drop --pairs");
                if (result.GetValue(maxPairs) is not null || result.GetValue(resolution) is not null)
                    throw new DiffusionAlignException("--max-pairs and --resolution apply to --pairs, not --online");
                using var start = TextToImageModel.Load(result.GetValue(model)!, dev);
                CheckMemory(start, config, start.Config.ImageSize, root);
                run.ClearPreviousRun();
                if (tensorBoard is not null && run.Overwrite) TensorBoardLogger.DeleteRun(tensorBoard.LogDir);
                using var onlineLogger = tensorBoard is null ? null : Logger(tensorBoard, start);
                return AlignOnline.Run(start, config, onlineConfig, run, onlineLogger);
            }
            string pairsPath = result.GetValue(pairs)
                ?? throw new DiffusionAlignException(
                    "missing --pairs (or give --online to sample pairs from the model)");
            if (run.Resuming && OnlineRunFolder.PreviousRunFiles(run.Dir).Count > 0)
                throw new DiffusionAlignException($"{run.Dir} holds an online run: resume it with --online");
            // Checked here too, not only by the loader, so it fails before the model loads.
            InvalidSettingException.Check(result.GetValue(maxPairs) is null or >= 1, "MaxPairs",
                $"must be at least 1, got {result.GetValue(maxPairs)}");
            string dir = run.Dir;
            using var policy = TextToImageModel.Load(result.GetValue(model)!, dev);
            using var cache = LatentPairCache.IsCache(pairsPath) ? LatentPairCache.Open(pairsPath) : null;
            PreferenceDataset? dataset = null;
            LoadReport? report = null;
            // Before reading any pairs: a run that cannot fit is refused with what to change.
            int trainingSize = cache?.Info.Resolution ?? result.GetValue(resolution) ?? policy.Config.ImageSize;
            CheckMemory(policy, config, trainingSize, root);
            using var logger = tensorBoard is null || !root ? null : Logger(tensorBoard, policy);
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
                if (root) CliOutput.Log($"data: {report}");
            }
            int count = cache?.Count ?? dataset!.Count;
            if (root) Warn(AlignConfigWarnings.CheckData(config, count));
            string kind = cache is null ? "" : " (latent cache)";
            if (root && world.Size > 1)
                CliOutput.Log($"data parallel: {world.Size} processes × {config.BatchSize} pairs per micro-batch, "
                    + $"{ComputeDevice.Threads()} threads each");
            if (root) CliOutput.Log($"{m.ToString().ToUpperInvariant()}: {count} pairs{kind}, "
                + $"{config.Steps} steps × {config.EffectiveBatch} pairs, β={RecipeDefaults.Format(config.Beta)}, "
                + $"lr={RecipeDefaults.Format(config.LearningRate)}"
                + (config.LearningRatePerPair is { } perPair ? $" ({RecipeDefaults.Format(perPair)} per pair)" : "")
                + $" ({LearningRateSchedulerWords.ToWord(config.LrScheduler)}), seed {config.Seed}");
            // No process may look at --out (above) once rank 0 starts clearing and writing it.
            world.Barrier();
            if (root) run.ClearPreviousRun();
            if (root && tensorBoard is not null && run.Overwrite) TensorBoardLogger.DeleteRun(tensorBoard.LogDir);
            var cancel = CommandRunner.CancelOnCtrlC();
            int done = 0;
            string metrics = run.Metrics;
            string checkpoint = run.Checkpoint;
            void Train(Action<int, string> progress)
            {
                var reports = new ImmediateProgress<TrainingStepReport>(r => progress(r.Step, Status(r)));
                done = cache is not null
                    ? PreferenceTrainer.Run(policy, cache, config, checkpoint, metrics, result.GetValue(resume),
                        reports, cancel, logger, world)
                    : PreferenceTrainer.Run(policy, dataset!, config, checkpoint, metrics, result.GetValue(resume),
                        reports, cancel, logger, world);
            }
            if (!root)
            {
                Train((_, _) => { });
                return 0; // rank 0 writes the model
            }
            ProgressDisplay.Run($"align {m.ToString().ToLowerInvariant()}", config.Steps, Train);
            string written = Save(policy, dir, config);
            CliOutput.Log($"wrote {written} after {done} steps; metrics in {metrics}");
            return 0;
        }, Path.Combine(result.GetValue(outDir)!, RunFolder.CheckpointFolderName))));
        return command;
    }

    /// <summary>
    /// Refuses a run that cannot fit in memory (before any pairs are read), with what to change; logs the estimate.
    /// </summary>
    private static void CheckMemory(TextToImageModel policy, AlignConfig config, int trainingSize, bool root)
    {
        policy.SampleShape(trainingSize, trainingSize); // a side the VAE can take
        var estimate = MemoryEstimate.ForAlignment(policy, config, trainingSize);
        if (MemoryEstimate.Check(estimate, MemoryEstimate.AvailableBytes()) is string tooLarge)
            throw new DiffusionAlignException(tooLarge);
        double needed = estimate.RequiredBytes / (1024.0 * 1024 * 1024);
        if (root) CliOutput.Log($"memory (GiB): {estimate.Summary()}; about {needed:0.00} GiB needed per process");
    }

    /// <summary>
    /// Saves the trained policy in <paramref name="dir"/> with the command and recipe as provenance; returns what
    /// was written, for the log.
    /// </summary>
    internal static string Save(TextToImageModel policy, string dir, AlignConfig config)
    {
        var provenance = new Dictionary<string, string>
        {
            ["command"] = "dalign " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            ["recipe"] = System.Text.Json.JsonSerializer.Serialize(config),
        };
        if (policy.IsLatent && policy.HasAdapters)
        {
            AlignmentRunFolder.Save(policy, dir, provenance);
            return "LoRA adapters in " + Path.Combine(dir, LoraAdapters.WeightsFileName);
        }
        if (policy.IsLatent)
        {
            DiffusersPipelineFolder.Save(policy, dir, mergeLora: false, provenance);
            return "a diffusers folder in " + dir;
        }
        policy.Save(dir, provenance);
        return Path.Combine(dir, TextToImageModel.WeightsFileName);
    }

    /// <summary>One line per warning on stderr, each setting named by its flag; the run goes on.</summary>
    private static void Warn(IEnumerable<AlignConfigWarning> warnings)
    {
        foreach (var w in warnings) Console.Error.WriteLine($"dalign: warning: {w.Format(CommandRunner.FlagFor)}");
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
            CliOutput.Log(
                "validation grids: skipped (this model has no default prompts: pass --validation-prompts)");
        CliOutput.Log($"tensorboard: logging to {config.LogDir} (view: tensorboard --logdir {config.LogDir})");
        return new TensorBoardLogger(config, policy);
    }

    internal static string Status(TrainingStepReport r)
    {
        bool hasAccuracy = r.Metrics.TryGetValue(ObjectiveMetrics.ImplicitAccuracy, out var acc);
        string accuracy = hasAccuracy ? $" acc {acc:F2}" : "";
        return $"loss {r.Loss:F4}{accuracy} {r.ExamplesPerSecond:F1} pairs/s";
    }
}
