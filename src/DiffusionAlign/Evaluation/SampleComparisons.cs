namespace DiffusionAlign.Evaluation;

/// <summary>
/// Turns per-sample scores (one array per model, prompt-major as <see cref="EvaluationPrompts.Samples"/>) into
/// results.json entries: means with a t interval, paired win rates with a Wilson interval, and next to each a
/// prompt-clustered bootstrap interval. One bootstrap seed serves every entry, so all of them resample the same
/// prompts and noises.
/// </summary>
internal sealed class SampleComparisons(EvaluationPrompts plan, int resamples, int seed)
{
    private const string NoClusteredInterval = "none: a prompt-clustered interval needs at least two prompts";

    /// <summary>Mean of <paramref name="values"/> with both intervals.</summary>
    public (MeanWithInterval Plain, ClusteredInterval? Clustered) Mean(double[] values) =>
        (MeanWithInterval.Compute(values), Clustered(values));

    /// <summary>A model's reward statistics.</summary>
    public ModelScores ModelScores(double[] rewards, double colourAccuracy)
    {
        var (plain, clustered) = Mean(rewards);
        return new ModelScores(plain.Mean, plain.CiLow, plain.CiHigh, colourAccuracy, plain.N)
        {
            CiMethod = "t",
            ClusteredCiLow = clustered?.CiLow,
            ClusteredCiHigh = clustered?.CiHigh,
            ClusteredCiMethod = clustered?.Method ?? NoClusteredInterval,
            Prompts = plan.Prompts.Count,
            Seeds = plan.Seeds,
        };
    }

    /// <summary>A model's judge statistics.</summary>
    public JudgeModelScores JudgeScores(double[] scores)
    {
        var (plain, clustered) = Mean(scores);
        return new JudgeModelScores(plain.Mean, plain.CiLow, plain.CiHigh, plain.N, "t", clustered?.CiLow,
            clustered?.CiHigh, clustered?.Method ?? NoClusteredInterval, plan.Prompts.Count, plan.Seeds);
    }

    /// <summary>
    /// Win rate of <paramref name="a"/> over <paramref name="b"/> (same sample index = same prompt and noise):
    /// a difference above <paramref name="resolution"/> wins, below its negative loses, otherwise a tie.
    /// </summary>
    public WinRateEntry WinRate(double[] a, double[] b, string vs, double resolution)
    {
        var outcomes = PairedOutcomes.Tally(PairedOutcomes.Differences(a, b, "model", vs), resolution, "a win rate");
        var (low, high) = WilsonScoreInterval.Compute(outcomes.Score, outcomes.N);
        var clustered = Clustered(outcomes.Scores);
        return new WinRateEntry(vs, outcomes.Rate, low, high, outcomes.N, outcomes.Wins, outcomes.Ties,
            outcomes.Losses)
        {
            CiMethod = "wilson",
            ClusteredCiLow = clustered?.CiLow,
            ClusteredCiHigh = clustered?.CiHigh,
            ClusteredCiMethod = clustered?.Method ?? NoClusteredInterval,
            Prompts = plan.Prompts.Count,
            Seeds = plan.Seeds,
        };
    }

    /// <summary>
    /// Every non-baseline model against the baseline (keyed by model) and every pair of non-baseline models
    /// against each other (keyed "a_vs_b", the rate of a over b), in <paramref name="order"/>.
    /// </summary>
    public Comparisons All(
        IReadOnlyDictionary<string, double[]> scores, IEnumerable<string> order, string baseline, double resolution)
    {
        var others = order.Where(n => n != baseline).ToList();
        var vsBaseline = others.ToDictionary(n => n, n => WinRate(scores[n], scores[baseline], baseline, resolution));
        var headToHead = new Dictionary<string, WinRateEntry>();
        for (int i = 0; i < others.Count; i++)
            for (int j = i + 1; j < others.Count; j++)
                headToHead[$"{others[i]}_vs_{others[j]}"] =
                    WinRate(scores[others[i]], scores[others[j]], others[j], resolution);
        return new Comparisons(vsBaseline, headToHead);
    }

    /// <summary>
    /// The win rate of a replicate group over <paramref name="b"/>: every replicate's paired comparisons together,
    /// with a clustered interval whose clusters are the prompts, each holding every replicate's comparisons on it
    /// (<see cref="SeedPooling.WinRate"/>, as the study pools seeds).
    /// </summary>
    public WinRateEntry PooledWinRate(IReadOnlyList<double[]> replicates, double[] b, string vs, double resolution)
    {
        if (plan.Prompts.Count < 2) // no clustered interval: the comparisons all together, as one model's
            return WinRate([.. replicates.SelectMany(r => r)], [.. replicates.SelectMany(_ => b)], vs, resolution)
                with { Replicates = replicates.Count };
        var pooled = SeedPooling.WinRate([.. replicates.Select(r => (r, b))], plan.Seeds, resolution, resamples, seed);
        return new WinRateEntry(vs, pooled.Rate, pooled.CiLow, pooled.CiHigh, pooled.N, pooled.Wins, pooled.Ties,
            pooled.Losses)
        {
            CiMethod = "wilson",
            ClusteredCiLow = pooled.ClusteredCiLow,
            ClusteredCiHigh = pooled.ClusteredCiHigh,
            ClusteredCiMethod = ClusteredBootstrap.Describe(resamples),
            Prompts = pooled.Prompts,
            Seeds = plan.Seeds,
            Replicates = pooled.Seeds,
        };
    }

    /// <summary>
    /// A replicate group's reward statistics over all its replicates' samples, the clustered interval's clusters
    /// being prompts (<see cref="SeedPooling.Mean"/>); colour accuracy is the replicates' mean (equal sample counts).
    /// </summary>
    public ModelScores PooledScores(IReadOnlyList<double[]> rewards, IReadOnlyList<double> colourAccuracies)
    {
        var plain = MeanWithInterval.Compute([.. rewards.SelectMany(r => r)]);
        var clustered = plan.Prompts.Count < 2 ? null : SeedPooling.Mean(rewards, plan.Seeds, resamples, seed);
        return new ModelScores(plain.Mean, plain.CiLow, plain.CiHigh, colourAccuracies.Average(), plain.N)
        {
            CiMethod = "t",
            ClusteredCiLow = clustered?.CiLow,
            ClusteredCiHigh = clustered?.CiHigh,
            ClusteredCiMethod = clustered?.Method ?? NoClusteredInterval,
            Prompts = plan.Prompts.Count,
            Seeds = plan.Seeds,
            Replicates = rewards.Count,
        };
    }

    /// <summary>
    /// One replicate group pooled against the baseline, from the per-sample scores and the per-model entries
    /// already computed (<paramref name="scores"/>, and the comparisons with the baseline by reward and judge).
    /// </summary>
    public PooledReplicates Pool(IReadOnlyList<string> members, string baseline,
        IReadOnlyDictionary<string, double[]> rewards, IReadOnlyDictionary<string, double[]> judged,
        IReadOnlyDictionary<string, ModelScores> scores, Comparisons byReward, Comparisons byJudge,
        double rewardResolution, double judgeResolution)
    {
        var across = new Dictionary<string, ReplicateSpread>
        {
            ["win_rate"] = ReplicateSpread.Of([.. members.Select(m => byReward.VsBaseline[m].Rate)]),
            ["mean_reward"] = ReplicateSpread.Of([.. members.Select(m => scores[m].MeanReward)]),
            ["judge_win_rate"] = ReplicateSpread.Of([.. members.Select(m => byJudge.VsBaseline[m].Rate)]),
        };
        return new PooledReplicates([.. members],
            PooledScores([.. members.Select(m => rewards[m])], [.. members.Select(m => scores[m].ColourAccuracy)]),
            PooledWinRate([.. members.Select(m => rewards[m])], rewards[baseline], baseline, rewardResolution),
            across)
        {
            JudgeWinRate = PooledWinRate([.. members.Select(m => judged[m])], judged[baseline], baseline,
                judgeResolution),
        };
    }

    private ClusteredInterval? Clustered(double[] values) => plan.Prompts.Count < 2
        ? null
        : ClusteredBootstrap.MeanInterval95(plan.ByPrompt(values), resamples, seed);
}
