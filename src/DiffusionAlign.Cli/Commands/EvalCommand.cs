using System.CommandLine;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Mixing;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign eval</c>: compares models by reward win rate and ranking accuracy on held-out data. Under
/// <c>mpirun -np N</c> the processes share the sampling and ranking (whole batches, round-robin) and rank 0 alone
/// prints and writes <c>--out</c>, the same results one process writes.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var defaults = new EvaluationConfig();
        var models = new Option<string[]>("--model")
        {
            Description = "NAME=DIR, repeat for each model (DIR may be a policy mixture folder from 'dalign mix'); "
                + "a NAME given again names training replicates (NAME#1, NAME#2, …), also pooled",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var baseline = new Option<string>("--baseline")
        {
            Description = "Name of the model the others are compared with", Required = true,
        };
        var prompts = new Option<int>("--prompts")
        {
            Description = "At most this many prompts of the prompt set, each once (capped at the set's size)",
            DefaultValueFactory = _ => defaults.Prompts,
        };
        var promptSet = CommonOptions.Choice("--prompt-set",
            "Prompts to sample: test (held out for final tables) or validation (for choosing settings)",
            "test", "validation");
        promptSet.DefaultValueFactory = _ => EvaluationPrompts.Name(defaults.PromptSet);
        var seeds = new Option<int>("--seeds")
        {
            Description = "Initial noises per prompt", DefaultValueFactory = _ => defaults.Seeds,
        };
        var pairs = new Option<string?>("--pairs")
        {
            Description = "Held-out pairs (folder, jsonl or parquet) for ranking accuracies",
        };
        var beta = new Option<double>("--beta")
        {
            Description = "β of the implicit reward (Diffusion-DPO's)", DefaultValueFactory = _ => defaults.Beta,
        };
        var draws = new Option<int>("--elbo-draws")
        {
            Description = "(t, ε) draws per held-out pair", DefaultValueFactory = _ => defaults.ElboDraws,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "DDIM steps", DefaultValueFactory = _ => defaults.EffectiveSampling.Steps,
        };
        var guidance = new Option<double>("--guidance")
        {
            Description = "Guidance scale", DefaultValueFactory = _ => defaults.EffectiveSampling.GuidanceScale,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Samples per sampling batch (under mpirun, batch b is drawn by rank b mod N)",
            DefaultValueFactory = _ => defaults.BatchSize,
        };
        var outPath = new Option<string>("--out") { Description = "results.json path", Required = true };
        var seed = CommonOptions.Seed(defaults.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json("the results (what --out holds)");

        var command = new Command("eval",
            "Evaluate models against a baseline: mean reward, reward win rate with 95% intervals, ranking accuracies");
        foreach (var o in new Option[]
                 {
                     models, baseline, prompts, promptSet, seeds, pairs, beta, draws, steps, guidance, batch, outPath,
                     seed, device, threads, json,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.WithWorld(communicator => CommandRunner.Run(() =>
        {
            bool root = communicator.Rank == 0;
            OutputPath.CheckFile(result.GetValue(outPath), "results.json");
            var dev = CommonOptions.Setup(result, device, threads);
            var (specs, replicates) = ParseReplicates(result.GetValue(models)!);
            replicates.CheckBaseline(result.GetValue(baseline)!); // before the models load
            string pairsPath = result.GetValue(pairs) ?? "";
            var config = defaults with
            {
                Prompts = result.GetValue(prompts),
                PromptSet = result.GetValue(promptSet) == "validation" ? PromptSet.Validation : PromptSet.Test,
                Seeds = result.GetValue(seeds),
                Sampling = defaults.EffectiveSampling with
                {
                    Steps = result.GetValue(steps),
                    GuidanceScale = result.GetValue(guidance),
                },
                Seed = result.GetValue(seed),
                ElboDraws = result.GetValue(draws),
                Beta = result.GetValue(beta),
                BatchSize = result.GetValue(batch),
            };
            config.Validate(); // before the models load, so a bad flag costs no time
            var loaded = new Dictionary<string, INoisePredictor>();
            try
            {
                foreach (var (name, dir) in specs)
                {
                    var m = PolicyFolder.Load(dir, dev);
                    m.Freeze();
                    loaded[name] = m;
                }
                IReadOnlyList<PreferencePair>? heldOut = null;
                double? tau = null;
                if (pairsPath.Length > 0)
                {
                    // Every model encodes every held-out prompt, so a prompt any of them cannot encode is skipped.
                    var (dataset, report) = PreferenceData.Load(pairsPath, loaded.Values.First().ImageSize,
                        checkPrompt: PreferenceData.PromptCheck([.. loaded.Values.Select(m => m.Tokenizer)]));
                    heldOut = Enumerable.Range(0, dataset.Count).Select(i => dataset[i]).ToList();
                    // A learned labeler's τ is on its own scale, not the true reward's the idealized accuracy uses.
                    var labels = Directory.Exists(pairsPath) ? PairLabelInfo.TryLoad(pairsPath) : null;
                    tau = labels is { Labeler: null } ? labels.Tau : null;
                    if (root) CliOutput.Log($"held-out pairs: {report}");
                }
                config = config with { Tau = tau };
                // results.json is written only once every model is scored, so a stopped run leaves --out as it was.
                var cancel = CommandRunner.CancelOnCtrlC();
                EvaluationResults results = null!;
                if (loaded.Values.Any(m => m.IsLatent))
                {
                    // No reward scores Stable Diffusion samples here: rank the held-out pairs only.
                    if (heldOut is null)
                        throw new DiffusionAlignException(
                            "Stable Diffusion models are evaluated on held-out pairs: give --pairs");
                    if (!root)
                    {
                        AlignmentEvaluator.RankPairs(loaded, result.GetValue(baseline)!, heldOut, config, null, cancel,
                            communicator);
                        return 0; // rank 0 prints and writes the results
                    }
                    int pairCount = loaded.Count * heldOut.Count;
                    ProgressDisplay.Run("eval", pairCount, report =>
                    {
                        int offset = 0;
                        string phase = "";
                        var progress = new ImmediateProgress<AlignmentEvaluator.Progress>(p =>
                        {
                            if (p.Phase != phase && phase.Length > 0) offset += heldOut.Count;
                            phase = p.Phase;
                            report(Math.Min(pairCount, offset + p.Done), p.Phase);
                        });
                        results = AlignmentEvaluator.RankPairs(loaded, result.GetValue(baseline)!, heldOut, config,
                            progress, cancel, communicator);
                    });
                    return Finish(results, specs, result.GetValue(outPath)!, result.GetValue(json));
                }
                var world = new ShapesWorld();
                // The prompt count is capped at the set's size, so the progress total comes from the same plan.
                int total = loaded.Count * EvaluationPrompts.Select(world.Split, config).Samples.Count;
                if (!root)
                {
                    AlignmentEvaluator.Evaluate(loaded, result.GetValue(baseline)!, world, heldOut, config, null,
                        cancel, communicator, replicates);
                    return 0; // rank 0 prints and writes the results
                }
                ProgressDisplay.Run("eval", total, report =>
                {
                    var progress = new ImmediateProgress<AlignmentEvaluator.Progress>(
                        p => report(Math.Min(total, p.Done), p.Phase));
                    results = AlignmentEvaluator.Evaluate(loaded, result.GetValue(baseline)!, world,
                        heldOut, config, progress, cancel, communicator, replicates);
                });
                return Finish(results, specs, result.GetValue(outPath)!, result.GetValue(json));
            }
            finally
            {
                foreach (var m in loaded.Values) m.Dispose();
            }
        })));
        return command;
    }

    /// <summary>Records each model's folder, writes --out, and prints the results (tables, or JSON).</summary>
    private static int Finish(EvaluationResults results, List<(string Name, string Dir)> specs, string path, bool json)
    {
        results = results with { ModelFolders = specs.ToDictionary(s => s.Name, s => s.Dir) };
        results.Save(path);
        if (json) CliOutput.Result(results.ToJson());
        else ResultsTable.Print(results);
        CliOutput.Log($"wrote {path}");
        return 0;
    }

    /// <summary>Parses NAME=DIR specs; names must be unique.</summary>
    public static List<(string Name, string Dir)> ParseModels(IEnumerable<string> specs)
    {
        var list = ParseSpecs(specs);
        var twice = list.GroupBy(x => x.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new DiffusionAlignException($"model name '{twice.Key}' given twice");
        return list;
    }

    /// <summary>
    /// Parses NAME=DIR specs where a NAME given more than once names training replicates: they become NAME#1,
    /// NAME#2, … in the order given, and a group (<see cref="ReplicateGroups.Assign"/>).
    /// </summary>
    public static (List<(string Name, string Dir)> Specs, ReplicateGroups Groups) ParseReplicates(
        IEnumerable<string> specs)
    {
        var list = ParseSpecs(specs);
        var (names, groups) = ReplicateGroups.Assign([.. list.Select(x => x.Name)]);
        return ([.. list.Select((x, i) => (names[i], x.Dir))], groups);
    }

    private static List<(string Name, string Dir)> ParseSpecs(IEnumerable<string> specs)
    {
        var list = new List<(string, string)>();
        foreach (var spec in specs)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0 || eq == spec.Length - 1)
                throw new DiffusionAlignException($"--model expects NAME=DIR, got '{spec}'");
            list.Add((spec[..eq], spec[(eq + 1)..]));
        }
        if (list.Count == 0) throw new DiffusionAlignException("give at least one --model NAME=DIR");
        return list;
    }
}
