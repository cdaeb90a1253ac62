using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Online;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Training.Online;

/// <summary>One unbroken two-round run, made once and compared with by every test of the class.</summary>
public sealed class UnbrokenOnlineRun : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    public UnbrokenOnlineRun()
    {
        Start = TestModels.Micro(seed: 2);
        Result = OnlineAlignerTests.Run(Start, Dir);
        Weights = OnlineAlignerTests.Weights(Result.Policy);
    }

    public TextToImageModel Start { get; }

    public string Dir => _dir.Path;

    public OnlineResult Result { get; }

    public Dictionary<string, float[]> Weights { get; }

    public void Dispose()
    {
        Result.Policy.Dispose();
        Start.Dispose();
        _dir.Dispose();
    }
}

public sealed class OnlineAlignerTests(UnbrokenOnlineRun unbroken) : IClassFixture<UnbrokenOnlineRun>
{
    private static readonly AlignConfig Align = new()
    {
        Steps = 4, BatchSize = 2, WarmupSteps = 1, LearningRate = 1e-3, CheckpointEvery = 1, Seed = 3,
    };

    /// <summary>Two rounds of 4 + 5 gold labels (an uneven split), 4 silver pairs each, micro-model samples.</summary>
    private static readonly OnlineConfig Online = new()
    {
        GoldBudget = 9, Rounds = 2, SilverPerRound = 4, RewardSteps = 3, MonitorSamples = 6,
        Sampling = new SamplingOptions(Steps: 2, GuidanceScale: 3.0),
    };

    internal static OnlineResult Run(TextToImageModel start, string dir, bool resume = false,
        AlignConfig? align = null, CancellationToken cancel = default, IProgress<OnlineRoundReport>? rounds = null) =>
        OnlineAligner.Run(start, new ShapesWorld(), align ?? Align, Online, dir, Path.Combine(dir, "checkpoint"),
            Path.Combine(dir, "metrics.jsonl"), resume, rounds: rounds, cancel: cancel);

    internal static Dictionary<string, float[]> Weights(TextToImageModel model) =>
        model.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().data<float>().ToArray());

    private static string Summary(string dir) => File.ReadAllText(Path.Combine(dir, OnlineRunFolder.SummaryFileName));

    [Fact]
    public void TwoRoundsWriteEveryFieldAndSpendExactlyTheGoldBudget()
    {
        var result = unbroken.Result;

        Assert.Equal([1, 2], result.Rounds.Select(r => r.Round));
        Assert.Equal([2, 4], result.Rounds.Select(r => r.Step));
        Assert.Equal([4, 9], result.Rounds.Select(r => r.GoldLabels)); // never above the budget, all of it at the end
        Assert.Equal([4, 5], result.Rounds.Select(r => r.RoundGoldLabels));
        Assert.Equal([8, 13], result.Rounds.Select(r => r.TrainingPairs)); // all gold so far + the round's silver
        var folder = new OnlineRunFolder(unbroken.Dir);
        // The gold pairs on disk are the labels spent: 4 + 5 = the budget.
        Assert.Equal(Online.GoldBudget,
            Enumerable.Range(1, 2).Sum(r => PairsFolder.Read(folder.Gold(r)).Dataset.Count));
        Assert.Equal(4, PairsFolder.Read(folder.Silver(2)).Dataset.Count);
        foreach (var r in result.Rounds)
        {
            Assert.Equal(4, r.SilverLabels);
            Assert.True(r.GoldTau > 0 && r.SilverTau > 0);
            Assert.InRange(r.GoldTrueAgreement, 0, 1);
            Assert.InRange(r.SilverTrueAgreement!.Value, 0, 1);
            Assert.InRange(r.TrueReward, 0, 1);
            Assert.InRange(r.TrueRewardBefore, 0, 1);
            Assert.True(double.IsFinite(r.LearnedReward) && double.IsFinite(r.LearnedRewardBefore));
            Assert.InRange(r.Spearman!.Value, -1, 1);
            // The intervals bracket the changes, and the flag is the rule's verdict on them.
            Assert.InRange(r.TrueRewardChange, r.TrueRewardChangeLow!.Value, r.TrueRewardChangeHigh!.Value);
            Assert.InRange(r.LearnedRewardChange, r.LearnedRewardChangeLow!.Value, r.LearnedRewardChangeHigh!.Value);
            Assert.Equal(r.LearnedRewardChangeLow > 0 && r.TrueRewardChange < -Online.HackingTolerance
                && r.TrueRewardChangeHigh < 0, r.Hacking);
        }
        // Round 2 starts from round 1's policy on the same monitor draws: its "before" is round 1's "after".
        Assert.Equal(result.Rounds[0].TrueReward, result.Rounds[1].TrueRewardBefore);
        Assert.Equal(result.Rounds[0].GoldTau, result.Rounds[1].GoldTau); // the raters keep their τ

        // online.json and online.jsonl hold the same rows, with every field by name.
        var summary = folder.ReadSummary()!;
        Assert.Equal(result.Rounds, summary.Rounds);
        string[] lines = File.ReadAllLines(Path.Combine(unbroken.Dir, OnlineRunFolder.RoundsLogFileName));
        Assert.Equal(2, lines.Length);
        foreach (string field in new[]
                 {
                     "round", "step", "gold_labels", "silver_labels", "learned_reward", "true_reward", "spearman",
                     "learned_reward_change", "true_reward_change", "hacking",
                 })
            Assert.Contains($"\"{field}\":", lines[1]);
        // One line per step, and each round's row after its last step, with the flag beside the loss.
        string[] metrics = File.ReadAllLines(Path.Combine(unbroken.Dir, "metrics.jsonl"));
        Assert.Equal(4 + 2, metrics.Length);
        Assert.True(RoundMetricsLine.IsRound(metrics[2], 1) && RoundMetricsLine.IsRound(metrics[5], 2));
        Assert.Equal(lines[1], metrics[5]); // the same row as online.jsonl's
        Assert.All(metrics.Where((_, i) => i is not (2 or 5)), l => Assert.Contains("\"loss\":", l));
        var initial = Weights(unbroken.Start);
        Assert.Contains(initial.Keys, k => !unbroken.Weights[k].SequenceEqual(initial[k]));

        // Each round leaves its policy as a model folder: the last is the final policy, the first is not.
        using var last = TextToImageModel.Load(folder.Policy(2));
        using var first = TextToImageModel.Load(folder.Policy(1));
        var lastWeights = Weights(last);
        Assert.All(unbroken.Weights, kv => Assert.Equal(kv.Value, lastWeights[kv.Key]));
        var firstWeights = Weights(first);
        Assert.Contains(initial.Keys, k => !firstWeights[k].SequenceEqual(lastWeights[k]));
    }

    [Fact]
    public void TheSameSeedGivesTheSameRunAndAnotherSeedAnother()
    {
        using var dirB = new TestModels.TempDir();
        using var dirC = new TestModels.TempDir();
        using (var b = Run(unbroken.Start, dirB.Path).Policy)
        {
            var wb = Weights(b);
            foreach (var key in wb.Keys) Assert.Equal(unbroken.Weights[key], wb[key]);
        }
        Assert.Equal(Summary(unbroken.Dir), Summary(dirB.Path));
        using (Run(unbroken.Start, dirC.Path, align: Align with { Seed = 4 }).Policy)
        {
        }
        Assert.NotEqual(Summary(unbroken.Dir), Summary(dirC.Path).Replace("\"seed\": 4", "\"seed\": 3"));
    }

    [Fact]
    public void AResumeAfterAStopAtARoundBoundaryEndsAsAnUnbrokenRun()
    {
        using var stopped = new TestModels.TempDir();
        var start = unbroken.Start;

        // Stop as round 1 finishes, as Ctrl+C between rounds would.
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Run(start, stopped.Path, cancel: cancel.Token,
            rounds: new DiffusionAlign.Runtime.ImmediateProgress<OnlineRoundReport>(_ => cancel.Cancel())));
        Assert.Single(new OnlineRunFolder(stopped.Path).ReadSummary()!.Rounds);

        var resumedRounds = new List<int>();
        var result = Run(start, stopped.Path, resume: true,
            rounds: new DiffusionAlign.Runtime.ImmediateProgress<OnlineRoundReport>(r => resumedRounds.Add(r.Round)));
        using var resumed = result.Policy;
        Assert.Equal([2], resumedRounds); // round 1 was not redone
        Assert.Equal(Summary(unbroken.Dir), Summary(stopped.Path));
        var b = Weights(resumed);
        foreach (var key in b.Keys) Assert.Equal(unbroken.Weights[key], b[key]);
        Assert.Equal(File.ReadAllLines(Path.Combine(unbroken.Dir, "metrics.jsonl")).Length,
            File.ReadAllLines(Path.Combine(stopped.Path, "metrics.jsonl")).Length);
    }

    [Fact]
    public void AStopInsideARoundsPolicyStepsLosesOnlyThoseSteps()
    {
        using var stopped = new TestModels.TempDir();
        var start = unbroken.Start;
        // Round 2's first step (step 3) ends with a checkpoint; the run stops there.
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => OnlineAligner.Run(start, new ShapesWorld(), Align, Online,
            stopped.Path, Path.Combine(stopped.Path, "checkpoint"), Path.Combine(stopped.Path, "metrics.jsonl"),
            resume: false, cancel: cancel.Token,
            steps: new DiffusionAlign.Runtime.ImmediateProgress<TrainingStepReport>(r =>
            {
                if (r.Step == 3) cancel.Cancel();
            })));
        Assert.Equal(3, TrainingCheckpoint.NewestStep(Path.Combine(stopped.Path, "checkpoint")));
        using var resumed = Run(start, stopped.Path, resume: true).Policy;
        Assert.Equal(Summary(unbroken.Dir), Summary(stopped.Path));
        var b = Weights(resumed);
        foreach (var key in b.Keys) Assert.Equal(unbroken.Weights[key], b[key]);
    }

    [Fact]
    public void ANewRunRefusesAFolderHoldingAnotherAndAResumeChecksTheSettings()
    {
        // Both are refused before anything in the folder is written.
        string summary = Summary(unbroken.Dir);
        var again = Assert.Throws<DiffusionAlignException>(() => Run(unbroken.Start, unbroken.Dir));
        Assert.Contains("holds another run", again.Message);
        var other = Assert.Throws<SettingsMismatchException>(() => OnlineAligner.Run(unbroken.Start,
            new ShapesWorld(), Align, Online with { GoldBudget = 10 }, unbroken.Dir,
            Path.Combine(unbroken.Dir, "checkpoint"), Path.Combine(unbroken.Dir, "metrics.jsonl"), resume: true));
        Assert.Equal(["GoldBudget"], other.Differences.Select(d => d.Setting));
        Assert.Equal(summary, Summary(unbroken.Dir));
    }
}
