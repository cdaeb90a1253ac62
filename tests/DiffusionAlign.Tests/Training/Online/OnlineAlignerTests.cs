using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Online;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Training.Online;

public sealed class OnlineAlignerTests
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

    private static OnlineResult Run(TextToImageModel start, string dir, bool resume = false,
        AlignConfig? align = null, CancellationToken cancel = default, IProgress<OnlineRoundReport>? rounds = null) =>
        OnlineAligner.Run(start, new ShapesWorld(), align ?? Align, Online, dir, Path.Combine(dir, "checkpoint"),
            Path.Combine(dir, "metrics.jsonl"), resume, rounds: rounds, cancel: cancel);

    private static Dictionary<string, float[]> Weights(TextToImageModel model) =>
        model.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().data<float>().ToArray());

    private static string Summary(string dir) => File.ReadAllText(Path.Combine(dir, OnlineRunFolder.SummaryFileName));

    [Fact]
    public void TwoRoundsWriteEveryFieldAndSpendExactlyTheGoldBudget()
    {
        using var dir = new TestModels.TempDir();
        using var start = TestModels.Micro(seed: 2);
        var result = Run(start, dir.Path);
        using var policy = result.Policy;

        Assert.Equal([1, 2], result.Rounds.Select(r => r.Round));
        Assert.Equal([2, 4], result.Rounds.Select(r => r.Step));
        Assert.Equal([4, 9], result.Rounds.Select(r => r.GoldLabels)); // never above the budget, all of it at the end
        Assert.Equal([4, 5], result.Rounds.Select(r => r.RoundGoldLabels));
        Assert.Equal([8, 13], result.Rounds.Select(r => r.TrainingPairs)); // all gold so far + the round's silver
        var folder = new OnlineRunFolder(dir.Path);
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
            Assert.Equal(RewardHacking.Fires(new(r.LearnedRewardBefore, r.TrueRewardBefore),
                new(r.LearnedReward, r.TrueReward), Online.HackingTolerance), r.Hacking);
        }
        // Round 2 starts from round 1's policy on the same monitor draws: its "before" is round 1's "after".
        Assert.Equal(result.Rounds[0].TrueReward, result.Rounds[1].TrueRewardBefore);
        Assert.Equal(result.Rounds[0].GoldTau, result.Rounds[1].GoldTau); // the raters keep their τ

        // online.json and online.jsonl hold the same rows, with every field by name.
        var summary = folder.ReadSummary()!;
        Assert.Equal(result.Rounds, summary.Rounds);
        string[] lines = File.ReadAllLines(Path.Combine(dir.Path, OnlineRunFolder.RoundsLogFileName));
        Assert.Equal(2, lines.Length);
        foreach (string field in new[]
                 {
                     "round", "step", "gold_labels", "silver_labels", "learned_reward", "true_reward", "spearman",
                     "learned_reward_change", "true_reward_change", "hacking",
                 })
            Assert.Contains($"\"{field}\":", lines[1]);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(dir.Path, "metrics.jsonl")).Length); // one line per step
        var initial = Weights(start);
        var trained = Weights(policy);
        Assert.Contains(trained.Keys, k => !trained[k].SequenceEqual(initial[k]));
    }

    [Fact]
    public void TheSameSeedGivesTheSameRunAndAnotherSeedAnother()
    {
        using var dirA = new TestModels.TempDir();
        using var dirB = new TestModels.TempDir();
        using var dirC = new TestModels.TempDir();
        using var start = TestModels.Micro(seed: 2);
        using (var a = Run(start, dirA.Path).Policy)
        using (var b = Run(start, dirB.Path).Policy)
        {
            var wa = Weights(a);
            var wb = Weights(b);
            foreach (var key in wa.Keys) Assert.Equal(wa[key], wb[key]);
        }
        Assert.Equal(Summary(dirA.Path), Summary(dirB.Path));
        using (Run(start, dirC.Path, align: Align with { Seed = 4 }).Policy)
        {
        }
        Assert.NotEqual(Summary(dirA.Path), Summary(dirC.Path).Replace("\"seed\": 4", "\"seed\": 3"));
    }

    [Fact]
    public void AResumeAfterAStopAtARoundBoundaryEndsAsAnUnbrokenRun()
    {
        using var straight = new TestModels.TempDir();
        using var stopped = new TestModels.TempDir();
        using var start = TestModels.Micro(seed: 2);
        using var unbroken = Run(start, straight.Path).Policy;

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
        Assert.Equal(Summary(straight.Path), Summary(stopped.Path));
        var a = Weights(unbroken);
        var b = Weights(resumed);
        foreach (var key in a.Keys) Assert.Equal(a[key], b[key]);
        Assert.Equal(File.ReadAllLines(Path.Combine(straight.Path, "metrics.jsonl")).Length,
            File.ReadAllLines(Path.Combine(stopped.Path, "metrics.jsonl")).Length);
    }

    [Fact]
    public void AStopInsideARoundsPolicyStepsLosesOnlyThoseSteps()
    {
        using var straight = new TestModels.TempDir();
        using var stopped = new TestModels.TempDir();
        using var start = TestModels.Micro(seed: 2);
        using (Run(start, straight.Path).Policy)
        {
        }
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
        using (Run(start, stopped.Path, resume: true).Policy)
        {
        }
        Assert.Equal(Summary(straight.Path), Summary(stopped.Path));
    }

    [Fact]
    public void ANewRunRefusesAFolderHoldingAnotherAndAResumeChecksTheSettings()
    {
        using var dir = new TestModels.TempDir();
        using var start = TestModels.Micro(seed: 2);
        using (Run(start, dir.Path).Policy)
        {
        }
        var again = Assert.Throws<DiffusionAlignException>(() => Run(start, dir.Path));
        Assert.Contains("holds another run", again.Message);
        var other = Assert.Throws<SettingsMismatchException>(() => OnlineAligner.Run(start, new ShapesWorld(), Align,
            Online with { GoldBudget = 10 }, dir.Path, Path.Combine(dir.Path, "checkpoint"),
            Path.Combine(dir.Path, "metrics.jsonl"), resume: true));
        Assert.Equal(["GoldBudget"], other.Differences.Select(d => d.Setting));
    }
}
