using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation.Statistics;

namespace DiffusionAlign.Experiments.Study;

/// <summary>One grid checkpoint as the correlation analysis sees it.</summary>
public sealed record CheckpointPoint(
    StudyRegime Regime, StudyFamily Family, string Run, int Step, double WinRate, double WinRateLow,
    double WinRateHigh, double RankingAccuracy, double ImplicitRewardAccuracy,
    IReadOnlyDictionary<PairSource, double> RankingBySource, IReadOnlyDictionary<PairSource, double> ImplicitBySource,
    double Distance);

/// <summary>A correlation of an accuracy with a target over a subset of checkpoints.</summary>
public sealed record CorrelationRow(string Metric, string Against, string Subset, int N, double? Pearson,
    double? Spearman);

/// <summary>
/// Does a better ranking of held-out pairs go with better samples? Across every grid checkpoint (all regimes and
/// methods), each accuracy (likelihood ranking and implicit reward; on the regime's own validation pairs and on
/// each source's) against the validation win rate and against the distance from the reference, for all checkpoints
/// and for the third closest to the reference (where a first-order view of the objectives should hold best).
/// </summary>
public static class CorrelationAnalysis
{
    public const string All = "all checkpoints";
    public const string Closest = "closest third to the reference";

    public static List<CheckpointPoint> Points(IEnumerable<RunResult> runs) =>
    [
        .. runs.SelectMany(run => run.Checkpoints.Where(c => c.Validation is not null).Select(c =>
        {
            var v = c.Validation!;
            return new CheckpointPoint(run.Regime, run.Point.Family, run.Point.Name, c.Step, v.WinRate.Rate,
                v.WinRate.ClusteredCiLow ?? v.WinRate.CiLow, v.WinRate.ClusteredCiHigh ?? v.WinRate.CiHigh,
                v.RankingAccuracy, v.ImplicitRewardAccuracy, v.RankingAccuracyBySource,
                v.ImplicitRewardAccuracyBySource, v.Distance ?? double.NaN);
        })),
    ];

    /// <summary>The metrics correlated, by name, each read from a point.</summary>
    public static IReadOnlyList<(string Name, Func<CheckpointPoint, double> Value)> Metrics { get; } =
    [
        ("ranking accuracy (own pairs)", p => p.RankingAccuracy),
        ("implicit-reward accuracy (own pairs)", p => p.ImplicitRewardAccuracy),
        ("ranking accuracy (model pairs)", p => p.RankingBySource[PairSource.Model]),
        ("ranking accuracy (renderer pairs)", p => p.RankingBySource[PairSource.Renderer]),
        ("implicit-reward accuracy (model pairs)", p => p.ImplicitBySource[PairSource.Model]),
        ("implicit-reward accuracy (renderer pairs)", p => p.ImplicitBySource[PairSource.Renderer]),
    ];

    public static List<CorrelationRow> Compute(IReadOnlyList<CheckpointPoint> points)
    {
        var measured = points.Where(p => double.IsFinite(p.Distance)).ToList();
        int third = (int)Math.Ceiling(measured.Count / 3.0);
        var closest = measured.OrderBy(p => p.Distance).Take(third).ToList();
        var rows = new List<CorrelationRow>();
        foreach (var (subset, set) in new[] { (All, measured), (Closest, closest) })
            foreach (var (metric, value) in Metrics)
                foreach (var (against, target) in new (string, Func<CheckpointPoint, double>)[]
                         { ("validation win rate", p => p.WinRate), ("distance from the reference", p => p.Distance) })
                {
                    var x = set.Select(value).ToList();
                    var y = set.Select(target).ToList();
                    rows.Add(new CorrelationRow(metric, against, subset, set.Count, Correlation.Pearson(x, y),
                        Correlation.Spearman(x, y)));
                }
        return rows;
    }
}
