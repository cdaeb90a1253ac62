// dalign align --online: the flags of online alignment and the run they start (OnlineAligner).
using System.CommandLine;
using System.Globalization;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Logging;
using DiffusionAlign.Training.Online;
using DiffusionAlign.Worlds.Shapes;
using Spectre.Console;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign align --online --gold-budget G [--rounds R] [--silver-per-round N] ...</c>: rounds of fresh pairs from
/// the policy, gold labels from the true reward, a reward model on them, silver labels from it, and policy steps.
/// </summary>
internal sealed class AlignOnline
{
    private readonly Option<bool> _online = new("--online")
    {
        Description = "Align online: each round samples pairs from the current policy (training prompts), labels its "
            + "share of --gold-budget with the true reward, retrains a reward model on all gold labels and labels "
            + "--silver-per-round more pairs with it, then trains the policy for its share of --steps; no --pairs "
            + "[default: off]",
    };

    private readonly Option<int?> _goldBudget = new("--gold-budget")
    {
        Description = "Gold labels (true-reward Bradley–Terry draws) over the whole --online run "
            + "[default: none; needed with --online]",
    };

    private readonly Option<int?> _rounds = new("--rounds")
    {
        Description = $"Rounds of an --online run [default: {Defaults.Rounds}]",
    };

    private readonly Option<int?> _silverPerRound = new("--silver-per-round")
    {
        Description = "Pairs labelled by the learned reward model per round, 0 for gold only [default: "
            + $"{OnlineConfig.SilverPerGold} × the round's gold labels]",
    };

    private readonly Option<int?> _rewardSteps = new("--reward-steps")
    {
        Description = $"Steps of each round's reward-model training [default: {Defaults.RewardSteps}]",
    };

    private readonly Option<int?> _monitorSamples = new("--monitor-samples")
    {
        Description = "Images of the policy sampled before and after each round's steps (fixed prompts and noise) "
            + $"for the reward-hacking diagnostics [default: {Defaults.MonitorSamples}]",
    };

    private readonly Option<double?> _hackingTolerance = new("--hacking-tolerance")
    {
        Description = "A round is flagged as reward hacking when the learned reward rises while the true reward "
            + $"falls by more than this [default: {RecipeDefaults.Format(Defaults.HackingTolerance)}]",
    };

    private static OnlineConfig Defaults { get; } = new() { GoldBudget = 1 };

    public IEnumerable<Option> Options => [_online, _goldBudget, _rounds, _silverPerRound, _rewardSteps,
        _monitorSamples, _hackingTolerance];

    /// <summary>
    /// The online settings of the flags, checked against <paramref name="align"/>; null without --online, when the
    /// other online flags must be absent too.
    /// </summary>
    public OnlineConfig? Config(ParseResult result, AlignConfig align)
    {
        bool anyGiven = result.GetValue(_goldBudget) is not null || result.GetValue(_rounds) is not null
            || result.GetValue(_silverPerRound) is not null || result.GetValue(_rewardSteps) is not null
            || result.GetValue(_monitorSamples) is not null || result.GetValue(_hackingTolerance) is not null;
        if (!result.GetValue(_online))
        {
            if (anyGiven)
                throw new DiffusionAlignException("--gold-budget, --rounds, --silver-per-round, --reward-steps, "
                    + "--monitor-samples and --hacking-tolerance need --online");
            return null;
        }
        var config = Defaults with
        {
            GoldBudget = result.GetValue(_goldBudget)
                ?? throw new DiffusionAlignException("--online needs --gold-budget (gold labels for the whole run)"),
            Rounds = result.GetValue(_rounds) ?? Defaults.Rounds,
            SilverPerRound = result.GetValue(_silverPerRound),
            RewardSteps = result.GetValue(_rewardSteps) ?? Defaults.RewardSteps,
            MonitorSamples = result.GetValue(_monitorSamples) ?? Defaults.MonitorSamples,
            HackingTolerance = result.GetValue(_hackingTolerance) ?? Defaults.HackingTolerance,
        };
        config.Validate(align);
        return config;
    }

    /// <summary>Runs the rounds, saves the final policy in --out and prints the rounds' table.</summary>
    public static int Run(TextToImageModel start, AlignConfig align, OnlineConfig online, RunFolder run,
        TensorBoardLogger? logger)
    {
        string method = align.Method.ToString().ToLowerInvariant();
        CliOutput.Log($"{method.ToUpperInvariant()} online: {online.Rounds} rounds, {online.GoldBudget} gold labels, "
            + $"{align.Steps} steps × {align.EffectiveBatch} pairs, β={RecipeDefaults.Format(align.Beta)}, "
            + $"lr={RecipeDefaults.Format(align.LearningRate)}, seed {align.Seed}");
        var cancel = CommandRunner.CancelOnCtrlC();
        OnlineResult? result = null;
        ProgressDisplay.Run($"align {method} online", align.Steps, report =>
            result = OnlineAligner.Run(start, new ShapesWorld(), align, online, run.Dir, run.Checkpoint, run.Metrics,
                run.Resuming, new ImmediateProgress<TrainingStepReport>(r => report(r.Step, AlignCommand.Status(r))),
                new ImmediateProgress<OnlineRoundReport>(r => Report(r, online)), CliOutput.Log, cancel, logger));
        using var policy = result!.Policy;
        string written = AlignCommand.Save(policy, run.Dir, align);
        PrintRounds(result.Rounds);
        CliOutput.Log($"wrote {written} after {align.Steps} steps; rounds in "
            + $"{Path.Combine(run.Dir, OnlineRunFolder.SummaryFileName)}, metrics in {run.Metrics}");
        return 0;
    }

    /// <summary>A finished round's line, and the hacking warning when its rule fires.</summary>
    private static void Report(OnlineRoundReport r, OnlineConfig online)
    {
        CliOutput.Log($"round {r.Round}/{online.Rounds} done at step {r.Step}: gold labels {r.GoldLabels}/"
            + $"{online.GoldBudget}; learned reward {r.LearnedReward:F3} ({Signed(r.LearnedRewardChange, 3)}), "
            + $"true reward {r.TrueReward:F4} ({Signed(r.TrueRewardChange, 4)}), Spearman "
            + (r.Spearman is double s ? s.ToString("F2", CultureInfo.InvariantCulture) : "—"));
        if (r.Hacking)
            Console.Error.WriteLine($"dalign: warning: round {r.Round} looks like reward hacking: on the monitor "
                + $"images the learned reward rose by {r.LearnedRewardChange:F3} (95% {r.LearnedRewardChangeLow:F3} to "
                + $"{r.LearnedRewardChangeHigh:F3}) while the true reward fell by {-r.TrueRewardChange:F4} (95% "
                + $"{-r.TrueRewardChangeHigh:F4} to {-r.TrueRewardChangeLow:F4}; more than --hacking-tolerance "
                + $"{online.HackingTolerance})");
    }

    /// <summary>A change with its sign: +0.012, -0.003; one that rounds to zero as +0.000.</summary>
    private static string Signed(double change, int decimals)
    {
        double rounded = Math.Round(change, decimals);
        if (rounded == 0) rounded = 0; // not −0
        return (rounded >= 0 ? "+" : "") + rounded.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static void PrintRounds(IReadOnlyList<OnlineRoundReport> rounds)
    {
        var console = TableConsole.Create(Console.Out, Console.IsOutputRedirected);
        var table = new Table().Title("online rounds (monitor images: learned and true reward, after − before)");
        foreach (var column in new[]
                 {
                     "round", "step", "gold", "silver", "silver vs true", "learned", "Δ learned", "true", "Δ true",
                     "Spearman", "hacking",
                 })
            table.AddColumn(new TableColumn(column));
        foreach (var r in rounds)
            table.AddRow(new[]
            {
                $"{r.Round}", $"{r.Step}", $"{r.GoldLabels}", $"{r.SilverLabels}",
                r.SilverTrueAgreement is double a ? $"{a:F3}" : "—", $"{r.LearnedReward:F3}",
                $"{Signed(r.LearnedRewardChange, 3)}", $"{r.TrueReward:F4}", $"{Signed(r.TrueRewardChange, 4)}",
                r.Spearman is double s ? $"{s:F2}" : "—", r.Hacking ? "yes" : "no",
            }.Select(Markup.Escape).ToArray());
        console.Write(table);
    }
}
