using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// One model judged against the base on one prompt set: reward and judge win rates (ties within the score's
/// resolution count ½) with Wilson and prompt-clustered intervals, mean scores, ranking and implicit-reward
/// accuracy on the regime's own pairs and on each source's, and the distance from the base's weights.
/// </summary>
public sealed record CheckpointMetrics
{
    public required WinRateEntry WinRate { get; init; }

    public required WinRateEntry JudgeWinRate { get; init; }

    public double MeanReward { get; init; }

    public double MeanJudge { get; init; }

    public double ColourAccuracy { get; init; }

    /// <summary>Likelihood-proxy ranking accuracy on the regime's own pairs of this split.</summary>
    public double RankingAccuracy { get; init; }

    /// <summary>The implicit reward's (relative to the base) ranking accuracy on the regime's own pairs.</summary>
    public double ImplicitRewardAccuracy { get; init; }

    public Dictionary<PairSource, double> RankingAccuracyBySource { get; init; } = new();

    public Dictionary<PairSource, double> ImplicitRewardAccuracyBySource { get; init; } = new();

    /// <summary>‖θ − θ_ref‖ / ‖θ_ref‖ (null where not measured).</summary>
    public double? Distance { get; init; }

    public double RewardResolution { get; init; }

    public double JudgeResolution { get; init; }

    /// <summary>
    /// <paramref name="model"/> against <paramref name="baseline"/> (same prompts and noises). Unless given, the tie
    /// resolutions come from both models' requantisation jitter, as an evaluation of the two would measure them.
    /// </summary>
    public static CheckpointMetrics Compare(ModelSamples model, ModelSamples baseline, StudyRegime regime,
        int pairsPerSource, double? distance, ShapesWorld world, int resamples,
        (double Reward, double Judge)? resolutions = null)
    {
        if (!model.PairsWith(baseline))
            throw new DiffusionAlignException("a model and the base were sampled from different prompts or noises");
        var compare = new SampleComparisons(model.Plan(world), resamples, BootstrapSeed(model));
        double rewardResolution = resolutions?.Reward ?? Resolution(model.RewardJitter, baseline.RewardJitter);
        double judgeResolution = resolutions?.Judge ?? Resolution(model.JudgeJitter, baseline.JudgeJitter);
        var ranking = Accuracies(model, baseline, regime, pairsPerSource);
        return new CheckpointMetrics
        {
            WinRate = compare.WinRate(model.Reward, baseline.Reward, "base", rewardResolution),
            JudgeWinRate = compare.WinRate(model.Judge, baseline.Judge, "base", judgeResolution),
            MeanReward = model.Reward.Average(),
            MeanJudge = model.Judge.Average(),
            ColourAccuracy = model.ColourAccuracy,
            RankingAccuracy = ranking.Own.Ranking,
            ImplicitRewardAccuracy = ranking.Own.Implicit,
            RankingAccuracyBySource = ranking.BySource.ToDictionary(kv => kv.Key, kv => kv.Value.Ranking),
            ImplicitRewardAccuracyBySource = ranking.BySource.ToDictionary(kv => kv.Key, kv => kv.Value.Implicit),
            Distance = distance,
            RewardResolution = rewardResolution,
            JudgeResolution = judgeResolution,
        };
    }

    /// <summary>The bootstrap seed every interval of one evaluation seed shares.</summary>
    public static int BootstrapSeed(ModelSamples samples) => (int)(samples.EvaluationSeed & 0x7FFFFFFF);

    public static double Resolution(params IEnumerable<double>[] jitters) =>
        ScoreResolution.FromDifferences(jitters.SelectMany(j => j)).Value;

    /// <summary>The base's own ranking accuracy on the regime's pairs and on each source's.</summary>
    public static (double Own, Dictionary<PairSource, double> BySource) BaseRanking(
        ModelSamples baseline, StudyRegime regime, int pairsPerSource)
    {
        var r = Accuracies(baseline, baseline, regime, pairsPerSource);
        return (r.Own.Ranking, r.BySource.ToDictionary(kv => kv.Key, kv => kv.Value.Ranking));
    }

    private static ((double Ranking, double Implicit) Own, Dictionary<PairSource, (double Ranking, double Implicit)>
        BySource) Accuracies(ModelSamples model, ModelSamples baseline, StudyRegime regime, int pairsPerSource)
    {
        // Per pair: the model ranks the winner first when its error on the winner is lower (higher ELBO); the
        // implicit reward −(β/2)·(Δ_model − Δ_ref) does when the model lowered the winner's error more than the
        // base did (β > 0 scales it, never flips it).
        (double[] Ranking, double[] Implicit) Margins(PairSource source, int take)
        {
            var m = model.Errors[source];
            var b = baseline.Errors[source];
            int n = Math.Min(take, m.Winner.Length);
            var ranking = Enumerable.Range(0, n).Select(i => m.Loser[i] - m.Winner[i]).ToArray();
            var implicitReward = Enumerable.Range(0, n)
                .Select(i => -((m.Winner[i] - m.Loser[i]) - (b.Winner[i] - b.Loser[i]))).ToArray();
            return (ranking, implicitReward);
        }
        static double Accuracy(IEnumerable<double> margins) =>
            Evaluation.RankingAccuracy.Compute([.. margins]).Accuracy;

        var bySource = model.Errors.Keys.ToDictionary(s => s, s =>
        {
            var (r, i) = Margins(s, int.MaxValue);
            return (Accuracy(r), Accuracy(i));
        });
        var own = regime.Composition(pairsPerSource).Select(c => Margins(c.Source, c.Count)).ToList();
        return ((Accuracy(own.SelectMany(o => o.Ranking)), Accuracy(own.SelectMany(o => o.Implicit))), bySource);
    }
}
