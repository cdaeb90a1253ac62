// Online (D2PO-style) alignment: rounds of fresh pairs from the policy, gold and silver labels, and policy steps.
using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Training.Logging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// Aligns a shapes-world model online. Each round:
/// <list type="number">
/// <item>samples fresh pairs from the current policy on training prompts (as <c>dalign pairs</c> does) and labels
/// the round's share of the gold budget by Bradley–Terry draws from the true reward;</item>
/// <item>trains a reward model from scratch on all gold labels so far;</item>
/// <item>samples more pairs and labels them with that model (silver labels);</item>
/// <item>trains the policy on all gold pairs so far + the round's silver pairs for the round's share of the steps,
/// with <see cref="PreferenceTrainer"/> against the fixed reference (the starting model): one run of the recipe's
/// steps whose learning-rate schedule and optimizer state carry across rounds;</item>
/// <item>samples the trained policy on the monitor prompts and compares it with the round's starting policy under
/// the round's reward model and the true reward (<see cref="RewardHacking"/>).</item>
/// </list>
/// Resumable per round: a round's data is kept on disk (<see cref="OnlineRunFolder"/>) before its policy steps,
/// which checkpoint as any alignment run; a resumed run never redoes a finished round, continues the policy steps
/// from their last checkpoint, and redraws only a round whose data was incomplete. Deterministic under the recipe's
/// seed: a resumed run ends with the same rounds and weights as one that was never stopped.
/// </summary>
public static class OnlineAligner
{
    private enum Draw
    {
        Gold = 0,
        Silver = 1,
    }

    /// <summary>
    /// Runs (or with <paramref name="resume"/> continues) the online run in <paramref name="dir"/>.
    /// <paramref name="start"/> is the starting model and reference; it is copied, never changed.
    /// <paramref name="checkpointDir"/> and <paramref name="metricsPath"/> are the policy steps' checkpoint folder
    /// and per-step metrics, as for <see cref="PreferenceTrainer"/>.
    /// </summary>
    /// <param name="steps">The policy steps' logged reports (steps counted over the whole run).</param>
    /// <param name="rounds">Each finished round's report.</param>
    /// <param name="log">A line for each stage of a round.</param>
    /// <param name="cancel">Checked between stages and inside them; a stopped run keeps every finished round and
    /// the policy steps' last checkpoint.</param>
    /// <exception cref="DiffusionAlignException">A model the shapes world's reward cannot score, nothing to resume,
    /// a folder holding another run, or a resume with other settings.</exception>
    public static OnlineResult Run(
        TextToImageModel start, ShapesWorld world, AlignConfig align, OnlineConfig online, string dir,
        string checkpointDir, string metricsPath, bool resume, IProgress<TrainingStepReport>? steps = null,
        IProgress<OnlineRoundReport>? rounds = null, Action<string>? log = null, CancellationToken cancel = default,
        ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(world);
        align.Validate();
        online.Validate(align);
        if (start.IsLatent)
            throw new DiffusionAlignException(
                "online alignment labels samples with the shapes world's reward, which cannot score a Stable "
                + "Diffusion model's images");
        var folder = new OnlineRunFolder(dir);
        var reports = Begin(folder, align, online, checkpointDir, resume);
        var monitor = new RewardMonitor(world, online.MonitorSamples, online.Sampling, align.Seed);
        for (int round = reports.Count + 1; round <= online.Rounds; round++)
        {
            cancel.ThrowIfCancellationRequested();
            var prepared = folder.ReadPrepared(round)
                ?? Prepare(start, world, align, online, folder, monitor, checkpointDir, round, log, cancel);
            cancel.ThrowIfCancellationRequested();
            TrainPolicy(start, align, online, folder, checkpointDir, metricsPath, round, steps, cancel, observer);
            var report = Finish(start, align, online, folder, monitor, checkpointDir, round, prepared);
            reports.Add(report);
            // The log line first: it is skipped when already there, while a round in the summary is never redone.
            RoundMetricsLine.Append(metricsPath, report);
            folder.WriteSummary(new OnlineSummary(online, align, reports));
            rounds?.Report(report);
        }
        return new OnlineResult(Policy(start, align, checkpointDir, online.StepsThrough(online.Rounds, align)),
            reports);
    }

    /// <summary>
    /// A new run's empty summary, or a resumed run's finished rounds after checking its settings.
    /// </summary>
    private static List<OnlineRoundReport> Begin(OnlineRunFolder folder, AlignConfig align, OnlineConfig online,
        string checkpointDir, bool resume)
    {
        if (!resume)
        {
            var left = OnlineRunFolder.PreviousRunFiles(folder.Dir).ToList();
            if (TrainingCheckpoint.Exists(checkpointDir)) left.Add(checkpointDir);
            if (left.Count > 0)
                throw new DiffusionAlignException(
                    $"{folder.Dir} holds another run ({string.Join(", ", left)}); resume it or delete it first");
            folder.WriteSummary(new OnlineSummary(online, align, []));
            return [];
        }
        var summary = folder.ReadSummary()
            ?? throw new DiffusionAlignException(
                $"nothing to resume in {folder.Dir}: it holds no {OnlineRunFolder.SummaryFileName}");
        var differences = SettingsMismatchException.Compare(summary.Online, online);
        if (differences.Count > 0) throw new SettingsMismatchException(folder.SummaryPath, differences);
        var reports = summary.Rounds.ToList();
        folder.WriteSummary(new OnlineSummary(online, align, reports));
        return reports;
    }

    /// <summary>
    /// The round's data: gold pairs from the round's starting policy, the reward model on all gold so far, silver
    /// pairs labelled by it, and the starting policy's monitor scores; written to the round's folder, the record
    /// last.
    /// </summary>
    private static PreparedRound Prepare(TextToImageModel start, ShapesWorld world, AlignConfig align,
        OnlineConfig online, OnlineRunFolder folder, RewardMonitor monitor, string checkpointDir, int round,
        Action<string>? log, CancellationToken cancel)
    {
        folder.ClearRound(round);
        string name = $"round {round}/{online.Rounds}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string Took()
        {
            string took = $" [{clock.Elapsed.TotalSeconds:F0} s]";
            clock.Restart();
            return took;
        }
        using var policy = Policy(start, align, checkpointDir, online.StepsThrough(round - 1, align));
        // The raters keep the temperature round 1 chose: people do not get noisier as the policy improves.
        double? goldTau = round == 1 ? null
            : (folder.ReadPrepared(1) ?? throw new DiffusionAlignException(
                $"{folder.Round(1)} lacks its {OnlineRunFolder.RoundFileName}")).GoldTau;
        var gold = ShapesPairGenerator.Generate(policy, world,
            PairsConfig(online, online.GoldFor(round), RoundSeed(align.Seed, round, Draw.Gold), goldTau),
            cancel: cancel);
        Write(folder.Gold(round), gold);
        log?.Invoke($"{name}: {gold.Pairs.Count} gold labels (τ {gold.Tau:G3}; {gold.Agreement:P1} agree with the "
            + "true reward order)" + Took());

        var training = online.RewardTraining(align);
        var goldPairs = new PreferenceDataset(Enumerable.Range(1, round)
            .SelectMany(r => PairsFolder.Read(folder.Gold(r), new LearnedRewardConfig().ImageSize).Dataset));
        // Early rounds may hold fewer training pairs than one batch of the default size.
        training = training with
        {
            BatchSize = Math.Min(training.BatchSize, RewardModelTrainer.Split(goldPairs, training).Train.Count),
        };
        using var reward = LearnedRewardModel.Create(new LearnedRewardConfig(), training.Seed, "reward");
        var trained = RewardModelTrainer.Train(reward, goldPairs, training, cancel: cancel);
        reward.Save(folder.Reward(round));
        trained.Save(folder.Reward(round));
        log?.Invoke($"{name}: reward model on {goldPairs.Count} gold labels, held-out accuracy "
            + (trained.HeldOutAccuracy is double a ? $"{a:F3}" : "— (no held-out prompts)") + Took());

        PairGenerationResult? silver = null;
        if (online.SilverFor(round) > 0)
        {
            silver = ShapesPairGenerator.Generate(policy, world,
                PairsConfig(online, online.SilverFor(round), RoundSeed(align.Seed, round, Draw.Silver), null),
                cancel: cancel, labeler: reward);
            Write(folder.Silver(round), silver);
            log?.Invoke($"{name}: {silver.Pairs.Count} silver labels from the reward model ("
                + $"{silver.TrueRewardAgreement:P1} agree with the true reward order)" + Took());
        }
        var before = monitor.Measure(policy, reward);
        log?.Invoke($"{name}: the starting policy's {online.MonitorSamples} monitor images scored" + Took());
        var prepared = new PreparedRound(gold.Pairs.Count, silver?.Pairs.Count ?? 0, gold.Tau, gold.Agreement,
            silver?.Tau, silver?.TrueRewardAgreement, trained.HeldOutAccuracy, before);
        folder.WritePrepared(round, prepared);
        return prepared;
    }

    /// <summary>
    /// The round's policy steps on its pairs, continuing the run's checkpoint (none before round 1); nothing when
    /// the checkpoint already ends the round.
    /// </summary>
    private static void TrainPolicy(TextToImageModel start, AlignConfig align, OnlineConfig online,
        OnlineRunFolder folder, string checkpointDir, string metricsPath, int round,
        IProgress<TrainingStepReport>? steps, CancellationToken cancel, ITrainingObserver? observer)
    {
        int first = online.StepsThrough(round - 1, align), end = online.StepsThrough(round, align);
        int at = TrainingCheckpoint.NewestStep(checkpointDir) ?? 0;
        if (at < first || at > end)
            throw new DiffusionAlignException(
                $"the checkpoint in {checkpointDir} is at step {at}, but round {round} runs steps {first + 1} to "
                + $"{end}: the folder mixes two runs");
        if (at == end) return;
        var check = PreferenceData.PromptCheck(start.Tokenizer);
        int size = start.Config.ImageSize;
        var gold = Enumerable.Range(1, round).SelectMany(r => PairsFolder.Read(folder.Gold(r), size, check).Dataset);
        var silver = Directory.Exists(folder.Silver(round))
            ? PairsFolder.Read(folder.Silver(round), size, check).Dataset
            : new PreferenceDataset([]);
        var pairs = new PreferenceDataset(gold.Concat(silver));
        using var policy = start.Copy();
        int done = PreferenceTrainer.Run(policy, pairs, align with { StopAfter = end - at }, checkpointDir,
            metricsPath, resume: at > 0, steps, cancel, observer);
        if (done != end)
            throw new DiffusionAlignException($"round {round} ended at step {done}, not {end}: its checkpoint in "
                + $"{checkpointDir} was not the newest one");
    }

    /// <summary>The round's row: the trained policy's monitor scores against the starting policy's.</summary>
    private static OnlineRoundReport Finish(TextToImageModel start, AlignConfig align, OnlineConfig online,
        OnlineRunFolder folder, RewardMonitor monitor, string checkpointDir, int round, PreparedRound prepared)
    {
        int end = online.StepsThrough(round, align);
        using var policy = Policy(start, align, checkpointDir, end);
        using var reward = LearnedRewardModel.Load(folder.Reward(round));
        var after = monitor.Measure(policy, reward);
        // Saved before the row: a stop in between redoes this round's Finish, which rewrites the same weights.
        policy.Save(folder.Policy(round));
        var means = after.Means;
        var change = MonitorChange.Between(prepared.MonitorBefore, after);
        return new OnlineRoundReport(round, end, online.GoldThrough(round), prepared.RoundGoldLabels,
            prepared.SilverLabels, online.GoldThrough(round) + prepared.SilverLabels, prepared.GoldTau,
            prepared.GoldTrueAgreement, prepared.SilverTau, prepared.SilverTrueAgreement,
            prepared.RewardHeldOutAccuracy, means.Learned, means.True, after.Spearman, prepared.LearnedRewardBefore,
            prepared.TrueRewardBefore, RewardHacking.Fires(change, online.HackingTolerance),
            Finite(change.Learned.CiLow), Finite(change.Learned.CiHigh), Finite(change.True.CiLow),
            Finite(change.True.CiHigh));
    }

    /// <summary>
    /// A frozen copy of the starting model with the run's policy at <paramref name="step"/> restored from the
    /// checkpoint (the starting model itself at step 0). Every stage takes the policy from here, so a resumed run
    /// and an unbroken one sample from the same weights.
    /// </summary>
    private static TextToImageModel Policy(TextToImageModel start, AlignConfig align, string checkpointDir, int step)
    {
        var policy = start.Copy();
        try
        {
            int at = step > 0 ? PreferenceTrainer.RestorePolicy(policy, align, checkpointDir) : 0;
            if (at != step)
                throw new DiffusionAlignException(
                    $"the checkpoint in {checkpointDir} is at step {at}, not at step {step} where a round ends");
            policy.Freeze();
            return policy;
        }
        catch
        {
            policy.Dispose();
            throw;
        }
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static PairGenerationConfig PairsConfig(OnlineConfig online, int count, long seed, double? tau) =>
        new(Count: count, Seed: seed, Source: PairSource.Model, Tau: tau, Sampling: online.Sampling,
            PromptSet: PromptSet.Train);

    /// <summary>The seed of a round's gold or silver pairs: prompts, noise and label draws.</summary>
    private static long RoundSeed(long seed, int round, Draw draw) =>
        StepSeeds.Mix(seed, 2L * round + (int)draw, StepSeeds.Stream.Labels);

    private static void Write(string dir, PairGenerationResult pairs)
    {
        PairsFolder.Write(dir, pairs.Pairs);
        PairLabelInfo.Save(dir, pairs);
    }
}
