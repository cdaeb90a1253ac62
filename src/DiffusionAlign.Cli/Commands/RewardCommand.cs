// dalign reward train / eval: fit a reward model to preference pairs, and measure how well one ranks pairs.
using System.CommandLine;
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Rewards;
using DiffusionAlign.Runtime;
using DiffusionAlign.Worlds.Shapes;
using Spectre.Console;

namespace DiffusionAlign.Cli.Commands;

/// <summary><c>dalign reward</c>: trains a learned reward model on pairs, or evaluates one on pairs.</summary>
public static class RewardCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static Command Create()
    {
        var command = new Command("reward", "Reward models: train one on preference pairs, or measure one's accuracy");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Eval());
        return command;
    }

    private static Command Train()
    {
        var defaults = new RewardTrainingConfig();
        var pairs = new Option<string>("--pairs")
        {
            Description = "Training pairs: a pairs folder, pairs.jsonl or Pick-a-Pic-style parquet", Required = true,
        };
        var outDir = new Option<string>("--out")
        {
            Description = "Folder for model.safetensors, config.json and training.json", Required = true,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "AdamW steps", DefaultValueFactory = _ => defaults.Steps,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Pairs per step", DefaultValueFactory = _ => defaults.BatchSize,
        };
        var lr = new Option<double>("--lr")
        {
            Description = "AdamW learning rate", DefaultValueFactory = _ => defaults.LearningRate,
        };
        var overwrite = CommonOptions.Overwrite();
        overwrite.Description = "Write into an --out folder that is not empty, replacing the reward model there "
            + "[default: off]";
        var seed = CommonOptions.Seed(defaults.Seed);
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json("the training summary (what training.json holds)");

        var command = new Command("train",
            $"Train a reward model with the Bradley–Terry loss; {defaults.HeldOutFraction:P0} of the prompts are held "
            + "out and the weights with the lowest held-out loss are kept");
        foreach (var o in new Option[] { pairs, outDir, steps, batch, lr, overwrite, seed, threads, json })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string dir = result.GetValue(outDir)!;
            OutputPath.CheckFolder(dir);
            // Before any work: a model trained for minutes must not silently replace another.
            if (!result.GetValue(overwrite) && Directory.Exists(dir)
                && Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal).Take(4)
                    .Select(Path.GetFileName).ToList() is { Count: > 0 } found)
                throw new DiffusionAlignException(
                    $"{dir} is not empty ({string.Join(", ", found.Take(3))}{(found.Count > 3 ? ", ..." : "")}); "
                    + "pass --overwrite to replace the reward model there, or choose another --out");
            var config = defaults with
            {
                Steps = result.GetValue(steps),
                BatchSize = result.GetValue(batch),
                LearningRate = result.GetValue(lr),
                Seed = result.GetValue(seed),
            };
            config.Validate(); // before the pairs load, so a bad flag costs no time
            int? n = result.GetValue(threads);
            if (n is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {n}");
            ComputeDevice.ConfigureThreads(n);

            using var model = LearnedRewardModel.Create(new LearnedRewardConfig(), config.Seed);
            var (dataset, report) = PreferenceData.Load(result.GetValue(pairs)!, model.Config.ImageSize,
                checkPrompt: PreferenceData.PromptCheck(model.Tokenizer));
            CliOutput.Log($"pairs: {report}");
            var cancel = CommandRunner.CancelOnCtrlC();
            RewardTrainingResult trained = null!;
            ProgressDisplay.Run("reward", config.Steps, report =>
                trained = RewardModelTrainer.Train(model, dataset, config,
                    new ImmediateProgress<int>(d => report(d, "")), CliOutput.Log, cancel));
            model.Save(dir);
            trained.Save(dir);
            if (result.GetValue(json)) CliOutput.Result(trained.ToJson());
            else PrintTraining(trained);
            CliOutput.Log($"wrote the reward model to {dir}");
            return 0;
        }));
        return command;
    }

    private static Command Eval()
    {
        var model = new Option<string>("--model")
        {
            Description = "Reward model folder, 'true' for the shapes world's reward, or 'alignment' or 'aesthetics' "
                + "for one half of it",
            Required = true,
            HelpName = "DIR|true|alignment|aesthetics",
        };
        var pairs = new Option<string>("--pairs")
        {
            Description = "Pairs to rank (held out from training): a pairs folder, pairs.jsonl or parquet",
            Required = true,
        };
        var outPath = new Option<string?>("--out") { Description = "Also write the results as JSON to this file" };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json("the results");

        var command = new Command("eval",
            "Pair accuracy of a reward model against the labels and against the true reward order, with 95% Wilson "
            + "intervals");
        foreach (var o in new Option[] { model, pairs, outPath, threads, json }) command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string? outFile = result.GetValue(outPath);
            if (outFile is not null) OutputPath.CheckFile(outFile, "reward-eval.json");
            int? n = result.GetValue(threads);
            if (n is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {n}");
            ComputeDevice.ConfigureThreads(n);

            var world = new ShapesWorld();
            using var reward = RewardModels.Open(result.GetValue(model)!, world);
            // The true reward scores any size; the world's own images are 32 px, so that is the size it reads at.
            var check = reward is LearnedRewardModel learned ? PreferenceData.PromptCheck(learned.Tokenizer) : null;
            var (dataset, report) = PreferenceData.Load(result.GetValue(pairs)!, reward.ImageSize ?? 32,
                checkPrompt: check);
            CliOutput.Log($"pairs: {report}");
            var accuracy = RewardAccuracy.Evaluate(reward, dataset, world);
            string text = JsonSerializer.Serialize(accuracy, JsonOptions);
            if (outFile is not null) File.WriteAllText(outFile, text);
            if (result.GetValue(json)) CliOutput.Result(text);
            else PrintAccuracy(accuracy);
            if (outFile is not null) CliOutput.Log($"wrote {outFile}");
            return 0;
        }));
        return command;
    }

    private static void PrintAccuracy(RewardAccuracyResult r)
    {
        var console = TableConsole.Create(Console.Out, Console.IsOutputRedirected);
        var table = new Table().Title(Markup.Escape($"{r.Model} on {r.Pairs} pairs"));
        foreach (var column in new[] { "pair accuracy against", "accuracy", "95% CI (Wilson)", "n" })
            table.AddColumn(new TableColumn(column));
        AddRow(table, "labels", r.LabelAccuracy);
        AddRow(table, "true reward order", r.TrueOrderAccuracy);
        AddRow(table, "(labels themselves vs true order)", r.LabelTrueAgreement);
        console.Write(table);
        if (r.TrueOrderAccuracy is null)
            Console.Out.WriteLine("no pair has a shapes-world prompt, so there is no true reward order to compare");
        if (r.TrueRewardTies > 0)
            Console.Out.WriteLine($"{r.TrueRewardTies} pairs with equal true rewards are left out of the true-order "
                + "rows");
    }

    private static void PrintTraining(RewardTrainingResult r)
    {
        var console = TableConsole.Create(Console.Out, Console.IsOutputRedirected);
        var table = new Table().Title(Markup.Escape(
            $"reward model: {r.TrainPairs} training pairs, {r.HeldOutPairs} held-out pairs "
            + $"({r.HeldOutPrompts} prompts), kept step {r.KeptStep}"));
        foreach (var column in new[] { "step", "train loss", "train acc", "held-out loss", "held-out acc" })
            table.AddColumn(new TableColumn(column));
        foreach (var p in r.HeldOut)
            table.AddRow(new[]
            {
                p.Step == r.KeptStep ? $"{p.Step} (kept)" : $"{p.Step}", $"{p.TrainLoss:F4}", $"{p.TrainAccuracy:F3}",
                $"{p.Loss:F4}", $"{p.Accuracy:F3}",
            }.Select(Markup.Escape).ToArray());
        console.Write(table);
        if (r.HeldOut.Count == 0)
            Console.Out.WriteLine($"no held-out prompts; kept the last step: train loss {r.FinalTrainLoss:F4}, "
                + $"train accuracy {r.FinalTrainAccuracy:F3}");
    }

    private static void AddRow(Table table, string against, ProportionInterval? p) =>
        table.AddRow(new[]
        {
            against, p is null ? "—" : $"{p.Value:F3}", p is null ? "—" : $"[{p.CiLow:F3}, {p.CiHigh:F3}]",
            p is null ? "0" : $"{p.N}",
        }.Select(Markup.Escape).ToArray());
}
