using System.Globalization;
using System.Text;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// <c>study.md</c>: the tables a person reads, every figure taken from the <see cref="StudyReport"/>.
/// </summary>
public static class StudyMarkdown
{
    public static string Write(StudyReport report)
    {
        var md = new StringBuilder();
        var config = report.Config;
        md.AppendLine("# DSPO vs Diffusion-DPO on the shapes world");
        md.AppendLine();
        var training = config.Training;
        Prose(md, $"Generated {report.Generated} from base model `{report.BaseModel}`. Each run trains "
            + $"{training.Steps} steps × {training.BatchSize} pairs (lr {G(training.LearningRate)}, "
            + $"{P(training.PromptDropout)} empty prompts, random flips {(training.RandomFlip ? "on" : "off")}), "
            + $"judged at steps {string.Join(", ", training.CheckpointSteps())} on {config.ValidationPrompts} "
            + $"validation prompts × {config.ValidationSeeds} noises; each chosen configuration is trained with "
            + $"{config.Replicates} seeds and judged once on {config.TestPrompts} test prompts × {config.TestSeeds} "
            + $"noises per seed. Intervals are 95%; \"clustered\" intervals resample prompts, then noises "
            + "(and seeds).");
        md.AppendLine();

        md.AppendLine("## Does DSPO beat DPO here?");
        md.AppendLine();
        foreach (var verdict in report.Verdicts)
        {
            Prose(md, verdict.Paragraph);
            md.AppendLine();
        }

        WriteTest(md, report);
        WriteHeadToHead(md, report);
        WriteSelection(md, report);
        WriteCorrelations(md, report);
        WriteData(md, report);
        WriteGrid(md, report);
        WriteBudget(md, report);

        md.AppendLine("## Figures");
        md.AppendLine();
        foreach (var plot in report.Plots) md.AppendLine($"- [{plot}]({plot})");
        md.AppendLine();
        md.AppendLine("Everything above, and every checkpoint's and seed's numbers, is in `study.json`.");
        return md.ToString();
    }

    private static void WriteTest(StringBuilder md, StudyReport report)
    {
        var test = report.Test;
        md.AppendLine("## Test results");
        md.AppendLine();
        Prose(md, $"Win rates vs the base model, ties within the score's resolution counted ½ (reward resolution "
            + $"{G(test.RewardResolution)}, judge {G(test.JudgeResolution)}). \"Seeds\" gives the mean ± sd "
            + "(min–max) over training seeds; \"pooled\" pools every seed's samples with a prompt-clustered interval. "
            + $"The base model's mean reward on the test prompts is {F(test.Base.MeanReward)} "
            + $"[{F(test.Base.MeanRewardCiLow)}, {F(test.Base.MeanRewardCiHigh)}].");
        md.AppendLine();
        foreach (var regime in test.Rows.Select(r => r.Regime).Distinct())
        {
            md.AppendLine($"### {regime.Key()}: {regime.Describe()}");
            md.AppendLine();
            md.AppendLine("| method | chosen | win rate, seeds | win rate, pooled (clustered CI) | verdict | "
                + "judge, pooled | judge verdict | mean reward, pooled | ranking acc. | implicit acc. | distance |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            var baseRef = test.Base.Regimes.FirstOrDefault(b => b.Regime == regime);
            md.AppendLine($"| base | — | — | — | — | — | — | {F(test.Base.MeanReward)} | "
                + $"{(baseRef is null ? "—" : F(baseRef.RankingAccuracy))} | — | 0 |");
            foreach (var row in test.Rows.Where(r => r.Regime == regime))
                md.AppendLine($"| {row.Family.Title()} | {row.Point.Describe()}, step {row.Step} | "
                    + $"{Spread(row.WinRate)} | {Pooled(row.PooledWinRate)} | {row.RewardVerdict} | "
                    + $"{Pooled(row.PooledJudgeWinRate)} | {row.JudgeVerdict} | {F(row.PooledMeanReward.Estimate)} "
                    + $"[{F(row.PooledMeanReward.CiLow)}, {F(row.PooledMeanReward.CiHigh)}] | "
                    + $"{F(row.RankingAccuracy.Mean)} | {F(row.ImplicitRewardAccuracy.Mean)} | "
                    + $"{G(row.Distance.Mean)} |");
            md.AppendLine();
        }
    }

    private static void WriteHeadToHead(StringBuilder md, StudyReport report)
    {
        md.AppendLine("## Head to head: each DSPO form vs Diffusion-DPO (test)");
        md.AppendLine();
        Prose(md, "Rate of the DSPO form over DPO on paired samples (same prompt, noise and training seed), "
            + "pooled over seeds: Wilson interval, then prompt-clustered interval.");
        md.AppendLine();
        md.AppendLine("| regime | DSPO form | reward: rate [Wilson] | clustered CI | verdict | judge: rate | "
            + "judge clustered CI | judge verdict | n |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var h in report.Test.HeadToHead)
            md.AppendLine($"| {h.Regime.Key()} | {h.Family.Title()} | {F(h.Reward.Rate)} [{F(h.Reward.CiLow)}, "
                + $"{F(h.Reward.CiHigh)}] | [{F(h.Reward.ClusteredCiLow)}, {F(h.Reward.ClusteredCiHigh)}] | "
                + $"{h.RewardVerdict} | {F(h.Judge.Rate)} | [{F(h.Judge.ClusteredCiLow)}, "
                + $"{F(h.Judge.ClusteredCiHigh)}] | {h.JudgeVerdict} | {h.Reward.N} |");
        md.AppendLine();
    }

    private static void WriteSelection(StringBuilder md, StudyReport report)
    {
        md.AppendLine("## Selection on validation");
        md.AppendLine();
        Prose(md, $"Rule: {report.Selection.Rule}.");
        md.AppendLine();
        md.AppendLine("| regime | method | chosen setting | step | validation win rate (clustered CI) | "
            + "ranking acc. | implicit acc. | distance | candidates |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var c in report.Selection.Chosen)
            md.AppendLine($"| {c.Regime.Key()} | {c.Family.Title()} | {c.Point.Describe()} | {c.Step} | "
                + $"{Entry(c.Validation.WinRate)} | {F(c.Validation.RankingAccuracy)} | "
                + $"{F(c.Validation.ImplicitRewardAccuracy)} | {G(c.Validation.Distance)} | {c.Candidates} |");
        md.AppendLine();
    }

    private static void WriteCorrelations(StringBuilder md, StudyReport report)
    {
        md.AppendLine("## Ranking accuracy vs win rate");
        md.AppendLine();
        Prose(md, "Over every grid checkpoint (all regimes and methods, validation prompts and pairs): does a "
            + "model that ranks held-out pairs better also sample better, and how do the accuracies move with the "
            + "distance ‖θ − θ_ref‖/‖θ_ref‖? \"—\" where a correlation is undefined (a constant, or fewer than 3 "
            + "checkpoints).");
        md.AppendLine();
        md.AppendLine("| accuracy | against | checkpoints | n | Pearson | Spearman |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in report.Correlations)
            md.AppendLine($"| {r.Metric} | {r.Against} | {r.Subset} | {r.N} | {Signed(r.Pearson)} | "
                + $"{Signed(r.Spearman)} |");
        md.AppendLine();
    }

    private static void WriteData(StringBuilder md, StudyReport report)
    {
        md.AppendLine("## Data");
        md.AppendLine();
        Prose(md, $"One labeller for every set: Bradley–Terry labels with τ = {G(report.Pairs.Tau)}, chosen on "
            + $"the on-policy training pairs for {P(report.Config.LabelAgreement)} expected agreement with the "
            + "reward order.");
        md.AppendLine();
        md.AppendLine("| source | prompts | pairs | labels agree with reward | expected agreement | mean reward |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var s in report.Pairs.Sets)
            md.AppendLine($"| {s.Source.Key()} | {s.Split.ToString().ToLowerInvariant()} | {s.Count} | "
                + $"{P(s.Agreement)} | {P(s.ExpectedAgreement)} | {F(s.MeanReward)} |");
        md.AppendLine();
        md.AppendLine("| regime | training pairs | validation pairs | test pairs |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var r in report.Regimes)
            md.AppendLine($"| {r.Regime.Key()} | {Counts(r.TrainPairs)} | {Counts(r.ValidationPairs)} | "
                + $"{Counts(r.TestPairs)} |");
        md.AppendLine();
    }

    private static void WriteGrid(StringBuilder md, StudyReport report)
    {
        md.AppendLine("## The grid on validation");
        md.AppendLine();
        md.AppendLine("| regime | run | step | win rate (clustered CI) | judge win rate | mean reward | ranking acc. | "
            + "implicit acc. | distance |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var b in report.Grid.Base)
            md.AppendLine($"| {b.Regime.Key()} | base | 0 | — | — | {F(b.MeanReward)} | {F(b.RankingAccuracy)} | — "
                + "| 0 |");
        foreach (var run in report.Grid.Runs)
            foreach (var c in run.Checkpoints.Where(c => c.Validation is not null))
                md.AppendLine($"| {run.Regime.Key()} | {run.Point.Name} | {c.Step} | {Entry(c.Validation!.WinRate)} | "
                    + $"{F(c.Validation.JudgeWinRate.Rate)} | {F(c.Validation.MeanReward)} | "
                    + $"{F(c.Validation.RankingAccuracy)} | {F(c.Validation.ImplicitRewardAccuracy)} | "
                    + $"{G(c.Validation.Distance)} |");
        md.AppendLine();
    }

    private static void WriteBudget(StringBuilder md, StudyReport report)
    {
        var b = report.Budget;
        md.AppendLine("## Budget");
        md.AppendLine();
        md.AppendLine("| stage | estimate (min) | actual (min) |");
        md.AppendLine("| --- | --- | --- |");
        foreach (var stage in StudyStages.All.Select(s => s.Key()))
            md.AppendLine($"| {stage} | {Minutes(b.EstimateSeconds.GetValueOrDefault(stage))} | "
                + $"{(b.ActualSeconds.TryGetValue(stage, out var s) ? Minutes(s) : "—")} |");
        md.AppendLine($"| total | {Minutes(b.EstimateTotal)} | {Minutes(b.ActualTotal)} |");
        md.AppendLine();
        md.AppendLine(b.Cuts.Count == 0 ? "Nothing was cut from the design." : "Cut to fit the budget:");
        md.AppendLine();
        foreach (var cut in b.Cuts) Prose(md, $"- {cut}");
        md.AppendLine();
    }

    private static string Counts(Dictionary<PairSource, int> counts) =>
        string.Join(" + ", counts.Where(kv => kv.Value > 0).Select(kv => $"{kv.Value} {kv.Key.Key()}"));

    private static string Spread(SeedSpread s) =>
        s.Sd is double sd ? $"{F(s.Mean)} ± {F(sd)} ({F(s.Min)}–{F(s.Max)})" : F(s.Mean);

    private static string Pooled(PooledRate r) => $"{F(r.Rate)} [{F(r.ClusteredCiLow)}, {F(r.ClusteredCiHigh)}]";

    private static string Entry(WinRateEntry e) =>
        $"{F(e.Rate)} [{F(e.ClusteredCiLow ?? e.CiLow)}, {F(e.ClusteredCiHigh ?? e.CiHigh)}]";

    private static string F(double value) =>
        double.IsFinite(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "—";

    private static string Signed(double? value) =>
        value is double v ? v.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "—";

    private static string G(double? value) =>
        value is double v && double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : "—";

    private static string P(double value) => (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Minutes(double seconds) =>
        (seconds / 60).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>
    /// A paragraph (or list item) wrapped at spaces to <see cref="LineWidth"/> characters, so the committed study.md
    /// reads in any editor; continuation lines of a list item are indented under its text.
    /// </summary>
    private static void Prose(StringBuilder md, string text)
    {
        string indent = text.StartsWith("- ", StringComparison.Ordinal) ? "  " : "";
        var line = new StringBuilder();
        bool empty = true; // no word on the current line yet
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > LineWidth)
            {
                md.AppendLine(line.ToString());
                line.Clear().Append(indent);
                empty = true;
            }
            if (!empty) line.Append(' ');
            line.Append(word);
            empty = false;
        }
        md.AppendLine(line.ToString());
    }

    private const int LineWidth = 120;
}
