using System.Diagnostics;
using DiffusionAlign.Distributed;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>One replicate's test metrics against the base.</summary>
public sealed record SeedTest(long Seed, bool FromGrid, CheckpointMetrics Metrics);

/// <summary>
/// A chosen configuration on the test prompts: per seed, the spread across seeds, and the seeds pooled with a
/// prompt-clustered interval; verdicts say what the pooled intervals say against ½.
/// </summary>
public sealed record TestRow(
    StudyRegime Regime, StudyFamily Family, GridPoint Point, int Step, List<SeedTest> Seeds,
    SeedSpread WinRate, SeedSpread JudgeWinRate, SeedSpread MeanReward, PooledRate PooledWinRate,
    PooledRate PooledJudgeWinRate, ClusteredInterval PooledMeanReward, SeedSpread RankingAccuracy,
    SeedSpread ImplicitRewardAccuracy, SeedSpread Distance, string RewardVerdict, string JudgeVerdict);

/// <summary>
/// A DSPO form against Diffusion-DPO on the test prompts, paired per seed and sample, pooled over seeds.
/// </summary>
public sealed record HeadToHead(
    StudyRegime Regime, StudyFamily Family, StudyFamily Versus, PooledRate Reward, PooledRate Judge,
    string RewardVerdict, string JudgeVerdict);

/// <summary>The base model on the test prompts.</summary>
public sealed record TestBase(
    double MeanReward, double MeanRewardCiLow, double MeanRewardCiHigh, double MeanJudge, double ColourAccuracy,
    List<BaseReference> Regimes);

/// <summary>The test stage's saved result.</summary>
public sealed record TestStageResult(
    TestBase Base, List<TestRow> Rows, List<HeadToHead> HeadToHead, double RewardResolution,
    double JudgeResolution, int Measured, int Reused, double Seconds);

/// <summary>
/// Stage 5: every replicate sampled once on the test prompts (and its ranking accuracies on the test pairs), then
/// the tables. One tie resolution serves every test comparison: the 99th percentile of the requantisation jitter
/// over the base's and every replicate's samples. Under <c>mpirun</c> the base's samples are shared in batches and
/// the replicates are dealt whole to the ranks (<see cref="RoundRobinRuns"/>), each measured as one process does it.
/// </summary>
public static class TestStage
{
    /// <param name="log">
    /// Called by rank 0 for everything, and by every other rank once for each replicate it measures.
    /// </param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job (null: this one measures every replicate).
    /// </param>
    public static TestStageResult Run(TextToImageModel baseModel, ShapesWorld world, StudyConfig config,
        StudyLayout layout, StudyPairs pairs, ReplicatesStageResult replicates, IProgress<StudyProgress>? progress,
        Action<string>? log, CancellationToken cancel, ICommunicator? communicator = null)
    {
        var clock = Stopwatch.StartNew();
        communicator ??= SingleProcessCommunicator.Instance;
        var evaluation = config.TestEvaluation();
        var testPairs = pairs.BySource(PromptSet.Test);
        var baseSamples = BaseSamples.Get(baseModel, world, evaluation, testPairs, layout, progress,
            communicator.Rank == 0 ? log : null, cancel, communicator);
        var distance = new ParameterDistance(baseModel);
        var ranks = new RoundRobinRuns(communicator);
        var mine = new Dictionary<Replicate, ModelSamples>();
        int measured = 0, reused = 0;
        foreach (var (replicate, index) in replicates.Replicates.Select((r, i) => (r, i)))
        {
            if (!ranks.Owns(index)) continue;
            string path = layout.TestSamples(replicate.Regime, replicate.Family, replicate.Seed);
            var saved = StudyJson.TryLoad<ModelSamples>(path);
            if (saved is not null && saved.PairsWith(baseSamples))
            {
                mine[replicate] = saved;
                reused++;
                continue;
            }
            using var model = TextToImageModel.Load(layout.Resolve(replicate.Weights), baseModel.Device);
            model.Freeze();
            string name = $"{replicate.Regime.Key()}/{replicate.Family.Key()} seed {replicate.Seed}";
            var measuredSamples = ModelSamples.Measure(model, world, evaluation, testPairs, name, progress, cancel)
                with { Distance = distance.From(model) };
            StudyJson.Save(path, measuredSamples);
            mine[replicate] = measuredSamples;
            measured++;
            log?.Invoke($"test {name}: mean reward {measuredSamples.Reward.Average():F3} "
                + $"({measuredSamples.Seconds:F0} s)");
        }
        ranks.Finish();
        // Alone, the samples in memory; under mpirun, every replicate's file as rank 0 reads it, the same on all.
        var samples = communicator.Size == 1 ? mine : replicates.Replicates.ToDictionary(r => r, r =>
        {
            string path = layout.TestSamples(r.Regime, r.Family, r.Seed);
            return StudyJson.TryLoad<ModelSamples>(path, communicator)
                ?? throw new DiffusionAlignException(
                    $"{path} is missing although its rank measured it: the study folder must be on a file system "
                    + "every rank sees");
        });
        var tables = Tables(baseSamples, samples, config, world);
        return tables with
        {
            Measured = ranks.Total(measured), Reused = ranks.Total(reused), Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>The test tables from the saved samples (no model runs).</summary>
    public static TestStageResult Tables(ModelSamples baseSamples, IReadOnlyDictionary<Replicate, ModelSamples> samples,
        StudyConfig config, ShapesWorld world)
    {
        double rewardResolution = CheckpointMetrics.Resolution(
            [baseSamples.RewardJitter, .. samples.Values.Select(s => s.RewardJitter)]);
        double judgeResolution = CheckpointMetrics.Resolution(
            [baseSamples.JudgeJitter, .. samples.Values.Select(s => s.JudgeJitter)]);
        int resamples = config.BootstrapResamples;
        int bootstrapSeed = CheckpointMetrics.BootstrapSeed(baseSamples);
        int noises = baseSamples.Seeds;
        var rows = new List<TestRow>();
        foreach (var group in samples.Keys.GroupBy(r => (r.Regime, r.Family)))
        {
            var seeds = group.OrderBy(r => r.Seed).ToList();
            var tests = seeds.Select(r => new SeedTest(r.Seed, r.FromGrid, CheckpointMetrics.Compare(samples[r],
                baseSamples, r.Regime, config.TestPairs, samples[r].Distance, world, resamples,
                (rewardResolution, judgeResolution)))).ToList();
            var pooled = SeedPooling.WinRate([.. seeds.Select(r => (samples[r].Reward, baseSamples.Reward))], noises,
                rewardResolution, resamples, bootstrapSeed);
            var pooledJudge = SeedPooling.WinRate([.. seeds.Select(r => (samples[r].Judge, baseSamples.Judge))],
                noises, judgeResolution, resamples, bootstrapSeed);
            rows.Add(new TestRow(group.Key.Regime, group.Key.Family, seeds[0].Point, seeds[0].Step, tests,
                SeedPooling.Spread([.. tests.Select(t => t.Metrics.WinRate.Rate)]),
                SeedPooling.Spread([.. tests.Select(t => t.Metrics.JudgeWinRate.Rate)]),
                SeedPooling.Spread([.. tests.Select(t => t.Metrics.MeanReward)]),
                pooled, pooledJudge,
                SeedPooling.Mean([.. seeds.Select(r => samples[r].Reward)], noises, resamples, bootstrapSeed),
                SeedPooling.Spread([.. tests.Select(t => t.Metrics.RankingAccuracy)]),
                SeedPooling.Spread([.. tests.Select(t => t.Metrics.ImplicitRewardAccuracy)]),
                SeedPooling.Spread([.. tests.Select(t => t.Metrics.Distance ?? double.NaN)]),
                SeedPooling.Verdict(pooled.ClusteredCiLow, pooled.ClusteredCiHigh, "better than the base",
                    "worse than the base"),
                SeedPooling.Verdict(pooledJudge.ClusteredCiLow, pooledJudge.ClusteredCiHigh, "better than the base",
                    "worse than the base")));
        }
        rows = [.. rows.OrderBy(r => Array.IndexOf([.. StudyRegimes.All], r.Regime))
            .ThenBy(r => Array.IndexOf([.. StudyFamilies.All], r.Family))];

        var headToHead = new List<HeadToHead>();
        foreach (var regime in rows.Select(r => r.Regime).Distinct())
        {
            var dpo = samples.Keys.Where(r => r.Regime == regime && r.Family == StudyFamily.Dpo)
                .ToDictionary(r => r.Seed);
            foreach (var family in StudyFamilies.DspoForms)
            {
                var dspo = samples.Keys.Where(r => r.Regime == regime && r.Family == family)
                    .Where(r => dpo.ContainsKey(r.Seed)).OrderBy(r => r.Seed).ToList();
                if (dspo.Count == 0) continue;
                var reward = SeedPooling.WinRate(
                    [.. dspo.Select(r => (samples[r].Reward, samples[dpo[r.Seed]].Reward))], noises,
                    rewardResolution, resamples, bootstrapSeed);
                var judge = SeedPooling.WinRate(
                    [.. dspo.Select(r => (samples[r].Judge, samples[dpo[r.Seed]].Judge))], noises,
                    judgeResolution, resamples, bootstrapSeed);
                string better = $"{family.Title()} beats Diffusion-DPO";
                string worse = $"Diffusion-DPO beats {family.Title()}";
                headToHead.Add(new HeadToHead(regime, family, StudyFamily.Dpo, reward, judge,
                    SeedPooling.Verdict(reward.ClusteredCiLow, reward.ClusteredCiHigh, better, worse),
                    SeedPooling.Verdict(judge.ClusteredCiLow, judge.ClusteredCiHigh, better, worse)));
            }
        }

        var baseMean = SeedPooling.Mean([baseSamples.Reward], noises, resamples, bootstrapSeed);
        var regimes = rows.Select(r => r.Regime).Distinct().Select(regime =>
        {
            var (own, bySource) = CheckpointMetrics.BaseRanking(baseSamples, regime, config.TestPairs);
            return new BaseReference(regime, baseSamples.Reward.Average(), baseSamples.Judge.Average(),
                baseSamples.ColourAccuracy, own, bySource);
        }).ToList();
        var testBase = new TestBase(baseMean.Estimate, baseMean.CiLow, baseMean.CiHigh, baseSamples.Judge.Average(),
            baseSamples.ColourAccuracy, regimes);
        return new TestStageResult(testBase, rows, headToHead, rewardResolution, judgeResolution, 0, 0, 0);
    }
}
