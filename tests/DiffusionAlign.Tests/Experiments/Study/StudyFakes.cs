using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Experiments.Study;

namespace DiffusionAlign.Tests.Experiments.Study;

/// <summary>Hand-made study results for tests of the analysis, with no model involved.</summary>
internal static class StudyFakes
{
    public static CheckpointMetrics Metrics(double winRate, double? clusteredLow = null, double meanReward = 0.3,
        double distance = 1e-3, double ranking = 0.6, double implicitAccuracy = 0.5) => new()
    {
        WinRate = new WinRateEntry("base", winRate, winRate - 0.1, winRate + 0.1, 40, 0, 0, 0)
        {
            ClusteredCiLow = clusteredLow ?? winRate - 0.2,
            ClusteredCiHigh = winRate + 0.2,
        },
        JudgeWinRate = new WinRateEntry("base", 0.5, 0.4, 0.6, 40, 0, 40, 0),
        MeanReward = meanReward,
        RankingAccuracy = ranking,
        ImplicitRewardAccuracy = implicitAccuracy,
        RankingAccuracyBySource = new() { [PairSource.Model] = ranking, [PairSource.Renderer] = ranking / 2 },
        ImplicitRewardAccuracyBySource =
            new() { [PairSource.Model] = implicitAccuracy, [PairSource.Renderer] = 1 - implicitAccuracy },
        Distance = distance,
    };

    public static RunResult Run(StudyRegime regime, GridPoint point, params (int Step, CheckpointMetrics M)[] at) =>
        new(regime, point, 0, at.Max(a => a.Step),
            [.. at.Select(a => new CheckpointResult(a.Step, $"/runs/{regime.Key()}/{point.Name}/step-{a.Step}", a.M,
                1, 1))],
            $"/runs/{regime.Key()}/{point.Name}");
}

/// <summary>Hand-made test-stage rows and head-to-heads for tests of the verdicts.</summary>
internal static class TestFakes
{
    public static PooledRate Rate(double rate, double low, double high) =>
        new(rate, low, high, low, high, 180, 0, 0, 0, 15, 3);

    public static TestRow Row(StudyFamily family, double rate, double low, double high)
    {
        var spread = new SeedSpread(rate, 0.05, rate - 0.05, rate + 0.05, 3);
        return new TestRow(StudyRegime.OnPolicy, family, new GridPoint(family, 2000), 70, [], spread, spread, spread,
            Rate(rate, low, high), Rate(0.5, 0.4, 0.6), new ClusteredInterval(0.3, 0.25, 0.35, 15, 180, 100), spread,
            spread, spread, SeedPooling.Verdict(low, high, "better", "worse"), SeedPooling.NoClearDifference);
    }

    public static HeadToHead Duel(StudyFamily family, double rate, double low, double high, string? judge = null)
    {
        string verdict = SeedPooling.Verdict(low, high, $"{family.Title()} beats Diffusion-DPO",
            $"Diffusion-DPO beats {family.Title()}");
        return new HeadToHead(StudyRegime.OnPolicy, family, StudyFamily.Dpo, Rate(rate, low, high),
            Rate(rate, low, high), verdict, judge ?? verdict);
    }

    public static TestStageResult Result(List<TestRow> rows, List<HeadToHead> duels) =>
        new(new TestBase(0.3, 0.25, 0.35, 0.1, 0.5, []), rows, duels, 1e-3, 1e-3, 0, 0, 0);
}
