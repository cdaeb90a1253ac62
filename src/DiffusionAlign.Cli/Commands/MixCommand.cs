using System.CommandLine;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Mixing;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Runtime;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign mix</c>: samples with the weighted sum of several policies' noise predictions, the weights given or
/// chosen by mirror descent to maximise the worst of several rewards; reports every policy and the mixture.
/// </summary>
public static class MixCommand
{
    public static Command Create()
    {
        var evaluation = new EvaluationConfig();
        var search = new MirrorDescentConfig();
        var models = new Option<string[]>("--model")
        {
            Description = "NAME=DIR of a policy to mix, repeat for each (at least two; model folders, not mixtures)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var compare = new Option<string[]>("--compare")
        {
            Description = "NAME=DIR of a policy to score beside the mixtures without mixing it (e.g. one aligned to "
                + "the combined reward), repeat for each; plotted as a diamond",
            AllowMultipleArgumentsPerToken = true,
        };
        var weights = new Option<string>("--weights")
        {
            Description = "'auto' (mirror descent for the best worst reward) or one weight >= 0 per --model, "
                + "comma-separated, e.g. 0.3,0.7 (normalised to sum 1)",
            HelpName = "auto|wA,wB,...",
            Required = true,
        };
        var rewards = new Option<string[]>("--reward")
        {
            Description = "Reward to mix for, repeat for each: alignment, aesthetics, true, or a reward model folder; "
                + "the plot shows the first two",
            DefaultValueFactory = _ => [ShapesAlignmentReward.CliName, ShapesAestheticsReward.CliName],
            AllowMultipleArgumentsPerToken = true,
        };
        var outDir = new Option<string?>("--out")
        {
            Description = "Folder for the mixture (mixture.json, readable by sample and eval), mix.json and pareto.png",
        };
        var prompts = new Option<int>("--prompts")
        {
            Description = "Evaluation: at most this many prompts of the prompt set",
            DefaultValueFactory = _ => evaluation.Prompts,
        };
        var promptSet = CommonOptions.Choice("--prompt-set",
            "Evaluation prompts: test (held out) or validation (the set the weights are searched on)",
            "test", "validation");
        promptSet.DefaultValueFactory = _ => EvaluationPrompts.Name(evaluation.PromptSet);
        var seeds = new Option<int>("--seeds")
        {
            Description = "Evaluation: initial noises per prompt", DefaultValueFactory = _ => evaluation.Seeds,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "DDIM steps", DefaultValueFactory = _ => evaluation.EffectiveSampling.Steps,
        };
        var guidance = new Option<double>("--guidance")
        {
            Description = "Guidance scale (applied once, to the mixed predictions)",
            DefaultValueFactory = _ => evaluation.EffectiveSampling.GuidanceScale,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Samples per sampling batch", DefaultValueFactory = _ => evaluation.BatchSize,
        };
        var iterations = new Option<int>("--md-iterations")
        {
            Description = "Mirror descent steps (--weights auto)", DefaultValueFactory = _ => search.Iterations,
        };
        var probeSamples = new Option<int>("--md-samples")
        {
            Description = "Mirror descent: validation samples per probe (K + 1 probes a step for K policies)",
            DefaultValueFactory = _ => search.SamplesPerProbe,
        };
        var stepSize = new Option<double>("--md-step-size")
        {
            Description = "Mirror descent step size η of w ← w·exp(η·g)", DefaultValueFactory = _ => search.StepSize,
        };
        var probeSize = new Option<double>("--md-probe")
        {
            Description = "Mirror descent finite-difference step δ toward each policy",
            DefaultValueFactory = _ => search.ProbeSize,
        };
        var front = new Option<int>("--front")
        {
            Description = "Also evaluate this many evenly spaced mixtures of the two policies, for the front",
            DefaultValueFactory = _ => 0,
        };
        var seed = CommonOptions.Seed(evaluation.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json("mix.json");

        var command = new Command("mix",
            "Mix policies by summing their weighted noise predictions; choose the weights (or take them) and compare "
            + "the mixture with each policy on every reward");
        foreach (var o in new Option[]
                 {
                     models, compare, weights, rewards, outDir, prompts, promptSet, seeds, steps, guidance, batch,
                     iterations, probeSamples, stepSize, probeSize, front, seed, device, threads, json,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string? dir = result.GetValue(outDir);
            if (dir is not null) CheckOut(dir);
            var dev = CommonOptions.Setup(result, device, threads);
            var specs = EvalCommand.ParseModels(result.GetValue(models)!);
            if (specs.Count < 2)
                throw new DiffusionAlignException($"give at least two --model NAME=DIR to mix, got {specs.Count}");
            var given = ParseWeights(result.GetValue(weights)!, specs.Count);
            string[] compareGiven = result.GetValue(compare) ?? [];
            var compareSpecs = compareGiven.Length == 0 ? [] : EvalCommand.ParseModels(compareGiven);
            var names = specs.Concat(compareSpecs).Select(s => s.Name).ToList();
            foreach (var (name, _) in compareSpecs)
                if (names.Count(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) > 1
                    || name.Equals(MixResults.MixtureName, StringComparison.OrdinalIgnoreCase))
                    throw new DiffusionAlignException($"--compare {name}: the name is taken; give each policy its own");
            var rewardSpecs = result.GetValue(rewards)!;
            if (rewardSpecs.Length == 0) throw new DiffusionAlignException("give at least one --reward");
            if (rewardSpecs.Distinct(StringComparer.OrdinalIgnoreCase).Count() != rewardSpecs.Length)
                throw new DiffusionAlignException($"a --reward is given twice: {string.Join(", ", rewardSpecs)}");
            var sampling = evaluation.EffectiveSampling with
            {
                Steps = result.GetValue(steps),
                GuidanceScale = result.GetValue(guidance),
            };
            var evalConfig = evaluation with
            {
                Prompts = result.GetValue(prompts),
                PromptSet = result.GetValue(promptSet) == "validation" ? PromptSet.Validation : PromptSet.Test,
                Seeds = result.GetValue(seeds),
                Sampling = sampling,
                Seed = result.GetValue(seed),
                BatchSize = result.GetValue(batch),
            };
            var searchConfig = search with
            {
                Iterations = result.GetValue(iterations),
                SamplesPerProbe = result.GetValue(probeSamples),
                StepSize = result.GetValue(stepSize),
                ProbeSize = result.GetValue(probeSize),
                Seed = result.GetValue(seed),
                Sampling = sampling,
                BatchSize = result.GetValue(batch),
            };
            // Every flag is checked before any model loads, so a mistake costs no time.
            evalConfig.Validate();
            searchConfig.Validate();
            int frontPoints = result.GetValue(front);
            if (frontPoints is < 0 or > 20)
                throw new DiffusionAlignException($"--front must be in 0..20, got {frontPoints}");
            if (frontPoints > 0 && specs.Count != 2)
                throw new DiffusionAlignException($"--front needs exactly two --model, got {specs.Count}");

            var world = new ShapesWorld();
            var opened = new List<(string Name, IRewardModel Reward)>();
            var loaded = new List<(string Name, TextToImageModel Model)>();
            var compared = new List<(string Name, TextToImageModel Model)>();
            try
            {
                foreach (var spec in rewardSpecs) opened.Add((spec, RewardModels.Open(spec, world)));
                foreach (var (name, modelDir, isCompared) in specs.Select(s => (s.Name, s.Dir, false))
                             .Concat(compareSpecs.Select(s => (s.Name, s.Dir, true))))
                {
                    var model = TextToImageModel.Load(modelDir, dev);
                    (isCompared ? compared : loaded).Add((name, model));
                    model.Freeze();
                    if (model.IsLatent)
                        throw new DiffusionAlignException(
                            $"{name}: mix scores samples with shapes-world rewards, which cannot score a Stable "
                            + "Diffusion model's images");
                }
                PolicyMixture.CheckCompatible(loaded);
                int total = PolicyMixing.SampleCount(
                    loaded.Count, given is null, searchConfig, evalConfig, frontPoints, world, compared.Count);
                var cancel = CommandRunner.CancelOnCtrlC();
                (MixResults Results, MixtureWeights Weights) mixed = (null!, null!);
                ProgressDisplay.Run("mix", total, report => mixed = PolicyMixing.Run(loaded, given, opened, world,
                    evalConfig, searchConfig, frontPoints,
                    new ImmediateProgress<AlignmentEvaluator.Progress>(p => report(Math.Min(total, p.Done), p.Phase)),
                    cancel, compared));
                var results = mixed.Results with { PolicyFolders = specs.ToDictionary(s => s.Name, s => s.Dir) };
                if (dir is not null) Write(dir, results, specs, mixed.Weights);
                if (result.GetValue(json)) CliOutput.Result(results.ToJson());
                else MixTable.Print(results);
                return 0;
            }
            finally
            {
                foreach (var (_, model) in loaded.Concat(compared)) model.Dispose();
                foreach (var (_, reward) in opened) reward.Dispose();
            }
        }));
        return command;
    }

    /// <summary>'auto' (null: search) or the given weights.</summary>
    private static MixtureWeights? ParseWeights(string text, int count)
    {
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            return MixtureWeights.Parse(text, count);
        }
        catch (DiffusionAlignException e)
        {
            throw new DiffusionAlignException($"--weights: {e.Message}", e);
        }
    }

    /// <summary>
    /// --out must be a new or mixture folder: a mixture.json written into a model folder would turn that model into
    /// a mixture for every later command.
    /// </summary>
    private static void CheckOut(string dir)
    {
        OutputPath.CheckFolder(dir);
        if (Directory.Exists(dir) && !MixtureFolder.IsMixtureFolder(dir)
            && new[] { TextToImageModel.ConfigFileName, DiffusersPipelineFolder.IndexFileName,
                    AlignmentRunFolder.NoteFileName }
                .Any(f => File.Exists(Path.Combine(dir, f))))
            throw new DiffusionAlignException($"--out {dir} holds a model; give a new folder for the mixture");
    }

    /// <summary>The mixture folder, mix.json and, with two rewards, the Pareto plot.</summary>
    private static void Write(string dir, MixResults results, List<(string Name, string Dir)> specs,
        MixtureWeights weights)
    {
        MixtureFolder.Save(dir, specs, weights, new Dictionary<string, string>
        {
            ["command"] = "dalign mix",
            ["weights_source"] = results.WeightsSource,
            ["rewards"] = string.Join(",", results.Rewards),
        });
        results.Save(Path.Combine(dir, MixResults.FileName));
        if (results.Rewards.Count >= 2)
            File.WriteAllBytes(Path.Combine(dir, ParetoFrontPlot.FileName), ParetoFrontPlot.Png(results));
        CliOutput.Log($"wrote {Path.Combine(dir, MixtureFolder.ManifestFileName)}, {MixResults.FileName}"
            + (results.Rewards.Count >= 2 ? $" and {ParetoFrontPlot.FileName}" : ""));
    }
}
