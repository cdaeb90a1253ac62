using System.Globalization;
using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// An online run's <c>online.json</c> (dalign align --online) as the page shows it: whether any round was flagged
/// as reward hacking, the settings, one row per finished round, the rewards' changes per round as plots, and the
/// policy each round left. A run still going shows the rounds it has finished; a file that cannot be read is a note
/// in the section. The run's training curves are in the training section, as for any align run.
/// </summary>
internal static class OnlineSection
{
    public const string FileName = OnlineRunFolder.SummaryFileName;

    private const int PanelWidth = 600;
    private const int PanelHeight = 380;

    /// <summary>Whether the run folder holds an online run's summary.</summary>
    public static bool Has(ReportRun run) => File.Exists(Path.Combine(run.FullPath, FileName));

    public static void WriteAll(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        var online = runs.Where(Has).ToList();
        if (online.Count == 0) return;
        html.Element("h2", "Online alignment", id: "online");
        foreach (var run in online)
        {
            var folder = new OnlineRunFolder(run.FullPath);
            html.Element("h3", run.Name);
            html.Element("p", $"from {folder.SummaryPath}", "path");
            OnlineSummary? summary;
            try
            {
                summary = folder.ReadSummary();
            }
            catch (Exception e) when (e is DiffusionAlignException or IOException or UnauthorizedAccessException)
            {
                html.Element("p", $"Not shown: {e.Message.ReplaceLineEndings(" ")}", "note");
                continue;
            }
            if (summary?.Online is null || summary.Align is null)
            {
                html.Element("p", $"Not shown: {FileName} holds no online or align settings.", "note");
                continue;
            }
            var rounds = summary.Rounds?.Where(r => r is not null).OrderBy(r => r.Round).ToList() ?? [];
            WriteVerdict(html, rounds, summary.Online.Rounds);
            WriteSettings(html, summary);
            if (rounds.Count == 0) continue;
            WriteRounds(html, rounds);
            WritePlots(html, rounds, summary.Online.HackingTolerance);
            WritePolicies(html, folder, rounds);
        }
    }

    /// <summary>The line a reader looks for first: which rounds, if any, were flagged.</summary>
    private static void WriteVerdict(HtmlBuilder html, IReadOnlyList<OnlineRoundReport> rounds, int planned)
    {
        var flagged = rounds.Where(r => r.Hacking).Select(r => Count(r.Round)).ToList();
        if (flagged.Count > 0)
            html.Element("p", $"⚠ reward hacking flagged in {(flagged.Count == 1 ? "round" : "rounds")} "
                + string.Join(", ", flagged), "warning");
        else if (rounds.Count > 0) html.Element("p", "No round flagged as reward hacking.", "verdict");
        html.Element("p", rounds.Count == 0 ? $"No round finished yet (of {Count(planned)})."
            : $"{Count(rounds.Count)} of {Count(planned)} rounds finished.", "note");
    }

    private static void WriteSettings(HtmlBuilder html, OnlineSummary summary)
    {
        var online = summary.Online;
        var align = summary.Align;
        var fields = new List<Field>
        {
            new("gold budget", Count(online.GoldBudget)),
            new("rounds", Count(online.Rounds)),
            new("silver labels per round", online.SilverPerRound is int silver ? Count(silver)
                : $"{OnlineConfig.SilverPerGold} × the round's gold labels"),
            new("reward-model steps per round", Count(online.RewardSteps)),
            new("monitor images", Count(online.MonitorSamples)),
            new("hacking tolerance", G(online.HackingTolerance)),
        };
        if (online.Sampling is { } sampling)
            fields.Add(new("sampling", $"{Count(sampling.Steps)} DDIM steps, guidance {G(sampling.GuidanceScale)}"));
        fields.AddRange(
        [
            new("method", align.Method.ToString().ToLowerInvariant()),
            new("β", G(align.Beta)),
            new("learning rate", G(align.LearningRate)),
            new("policy steps", Count(align.Steps)),
            new("batch", Count(align.EffectiveBatch)),
            new("seed", align.Seed.ToString(CultureInfo.InvariantCulture)),
        ]);
        html.Facts(fields);
    }

    private static void WriteRounds(HtmlBuilder html, IReadOnlyList<OnlineRoundReport> rounds)
    {
        html.Table(
            ["round", "step", "gold labels spent (this round)", "silver labels", "training pairs",
                "gold agree with true order", "silver agree with true order", "reward model held-out acc",
                "learned reward before → after", "learned change (95% CI)", "true reward before → after",
                "true change (95% CI)", "Spearman", "hacking"],
            rounds.Select(r => new HtmlRow(
            [
                Count(r.Round), Count(r.Step), $"{Count(r.GoldLabels)} (+{Count(r.RoundGoldLabels)})",
                Count(r.SilverLabels), Count(r.TrainingPairs), F(r.GoldTrueAgreement, 3),
                F(r.SilverTrueAgreement, 3), F(r.RewardHeldOutAccuracy, 3),
                $"{F(r.LearnedRewardBefore, 3)} → {F(r.LearnedReward, 3)}",
                Change(r.LearnedRewardChange, r.LearnedRewardChangeLow, r.LearnedRewardChangeHigh, 3),
                $"{F(r.TrueRewardBefore, 4)} → {F(r.TrueReward, 4)}",
                Change(r.TrueRewardChange, r.TrueRewardChangeLow, r.TrueRewardChangeHigh, 4),
                F(r.Spearman, 3), r.Hacking ? "⚠ hacking" : "no",
            ], r.Hacking ? "hacking" : null)),
            [true, true, true, true, true, true, true, true, true, true, true, true, true, false],
            "Rewards of the monitor images (the same prompts and noise every round): 'before' is the policy the round "
            + "started from, 'after' the one it trained, both scored by the round's reward model and the true reward. "
            + "A round is flagged when the learned change's interval is above 0 and the true change is below "
            + "−tolerance with its interval below 0. Each round retrains its reward model, so learned rewards of "
            + "different rows are on different scales; their changes within a row are comparable.");
    }

    private static void WritePlots(HtmlBuilder html, IReadOnlyList<OnlineRoundReport> rounds, double tolerance)
    {
        html.Markup("<div class=\"panels\">\n");
        var panels = new[]
        {
            ("True reward change per round", "true reward, after − before",
                rounds.Select(r => new RoundChange(r.Round, r.TrueRewardChange, r.TrueRewardChangeLow,
                    r.TrueRewardChangeHigh, r.Hacking)).ToList(), (double?)-tolerance),
            ("Learned reward change per round (the round's reward model)", "learned reward, after − before",
                rounds.Select(r => new RoundChange(r.Round, r.LearnedRewardChange, r.LearnedRewardChangeLow,
                    r.LearnedRewardChangeHigh, r.Hacking)).ToList(), null),
        };
        foreach (var (title, yLabel, changes, threshold) in panels)
            html.Image(RewardChangePlot.Png(changes, title, yLabel, threshold, PanelWidth, PanelHeight), PanelWidth,
                PanelHeight, title, "plot");
        html.Markup("</div>\n");
        html.Element("p", "Mean change over the monitor images with its 95% interval; rounds flagged as reward hacking "
            + "are shaded red. The dashed line is the true reward's −tolerance.", "note");
    }

    /// <summary>The policy each round left: model folders that eval and sample read.</summary>
    private static void WritePolicies(HtmlBuilder html, OnlineRunFolder folder, IReadOnlyList<OnlineRoundReport> rounds)
    {
        var policies = rounds.Select(r => (r.Round, Dir: folder.Policy(r.Round))).Where(p => Directory.Exists(p.Dir))
            .ToList();
        if (policies.Count == 0)
        {
            html.Element("p", "No round left its policy (rounds/round-NNN/policy/).", "note");
            return;
        }
        html.Element("p", "The policy at each round's end, a model folder for dalign eval --model NAME=DIR and "
            + "dalign sample --model DIR:", "note");
        html.Markup("<ul class=\"path\">\n");
        foreach (var (round, dir) in policies) html.Element("li", $"round {Count(round)}: {dir}");
        html.Markup("</ul>\n");
    }

    private static string Change(double mean, double? low, double? high, int decimals) =>
        Format.WithInterval(Finite(mean), Finite(low), Finite(high), decimals);

    private static double? Finite(double? value) => value is double v && double.IsFinite(v) ? v : null;

    private static string F(double? value, int decimals) =>
        Finite(value) is double v ? Format.Fixed(v, decimals) : Format.Missing;

    /// <summary>Four significant digits, exponents as the flags take them (2e-05).</summary>
    private static string G(double value) =>
        value.ToString("G4", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}
