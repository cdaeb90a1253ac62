using DiffusionAlign.Experiments.Study;
using static DiffusionAlign.Tests.Experiments.Study.StudyFakes;

namespace DiffusionAlign.Tests.Experiments.Study;

public sealed class SelectionTests
{
    [Fact]
    public void ChoosesTheBestValidationWinRatePerRegimeAndFamilyAcrossSettingsAndCheckpoints()
    {
        var dpoLow = new GridPoint(StudyFamily.Dpo, 2000);
        var dpoHigh = new GridPoint(StudyFamily.Dpo, 5000);
        var sdxl = new GridPoint(StudyFamily.DspoSdxl, 2000);
        var runs = new[]
        {
            Run(StudyRegime.OnPolicy, dpoLow, (40, Metrics(0.55)), (80, Metrics(0.62)), (120, Metrics(0.58))),
            Run(StudyRegime.OnPolicy, dpoHigh, (40, Metrics(0.60)), (80, Metrics(0.61)), (120, Metrics(0.50))),
            Run(StudyRegime.OnPolicy, sdxl, (40, Metrics(0.70)), (80, Metrics(0.65))),
            // Another regime chooses on its own numbers.
            Run(StudyRegime.Mix, dpoLow, (40, Metrics(0.40)), (80, Metrics(0.45))),
            Run(StudyRegime.Mix, dpoHigh, (40, Metrics(0.52)), (80, Metrics(0.30))),
        };

        var chosen = Selection.Choose(runs);

        Assert.Equal(3, chosen.Count);
        var onDpo = chosen.Single(c => c.Regime == StudyRegime.OnPolicy && c.Family == StudyFamily.Dpo);
        Assert.Equal((dpoLow, 80, 6), (onDpo.Point, onDpo.Step, onDpo.Candidates));
        Assert.Equal(0.62, onDpo.Validation.WinRate.Rate);
        Assert.EndsWith("step-80", onDpo.Weights);
        var onSdxl = chosen.Single(c => c.Family == StudyFamily.DspoSdxl);
        Assert.Equal((sdxl, 40), (onSdxl.Point, onSdxl.Step));
        var mixDpo = chosen.Single(c => c.Regime == StudyRegime.Mix);
        Assert.Equal((dpoHigh, 40), (mixDpo.Point, mixDpo.Step));
        // Regimes first, families in study order.
        Assert.Equal([StudyFamily.Dpo, StudyFamily.DspoSdxl, StudyFamily.Dpo], chosen.Select(c => c.Family));
    }

    [Fact]
    public void TiesGoToTheHigherClusteredLowerBoundThenMeanRewardThenTheSmallerDistanceThenTheEarlierStep()
    {
        var a = new GridPoint(StudyFamily.DspoSd15, 0.001);
        var b = new GridPoint(StudyFamily.DspoSd15, 0.05);
        Assert.Equal(b, Selection.Choose([
            Run(StudyRegime.OnPolicy, a, (10, Metrics(0.6, clusteredLow: 0.40))),
            Run(StudyRegime.OnPolicy, b, (10, Metrics(0.6, clusteredLow: 0.45)))]).Single().Point);
        Assert.Equal(a, Selection.Choose([
            Run(StudyRegime.OnPolicy, a, (10, Metrics(0.6, meanReward: 0.31))),
            Run(StudyRegime.OnPolicy, b, (10, Metrics(0.6, meanReward: 0.30)))]).Single().Point);
        Assert.Equal(b, Selection.Choose([
            Run(StudyRegime.OnPolicy, a, (10, Metrics(0.6, distance: 2e-3))),
            Run(StudyRegime.OnPolicy, b, (10, Metrics(0.6, distance: 1e-3)))]).Single().Point);
        Assert.Equal(10, Selection.Choose([
            Run(StudyRegime.OnPolicy, a, (10, Metrics(0.6)), (20, Metrics(0.6)))]).Single().Step);
    }

    [Fact]
    public void RunDeletesTheWeightsOfCheckpointsNotChosenAndRecordsTheRule()
    {
        using var dir = new TestModels.TempDir();
        var point = new GridPoint(StudyFamily.Sft, 0.001);
        string Weights(int step) => Path.Combine(dir.Path, $"step-{step}", "model");
        var run = new RunResult(StudyRegime.OnPolicy, point, 0, 20,
        [
            new CheckpointResult(10, Weights(10), Metrics(0.4), 1, 1),
            new CheckpointResult(20, Weights(20), Metrics(0.5), 1, 1),
        ], dir.Path);
        foreach (int step in new[] { 10, 20 }) Directory.CreateDirectory(Weights(step));
        var grid = new GridStageResult([run], [], 1, 0, 1);

        var kept = Selection.Run(grid, keepAllWeights: true, new StudyLayout(dir.Path), log: null);
        Assert.Equal(0, kept.WeightsPruned);
        Assert.True(Directory.Exists(Weights(10)));

        var result = Selection.Run(grid, keepAllWeights: false, new StudyLayout(dir.Path), log: null);
        Assert.Equal(Selection.Rule, result.Rule);
        Assert.Equal(20, result.Chosen.Single().Step);
        Assert.Equal(1, result.WeightsPruned);
        Assert.False(Directory.Exists(Weights(10)));
        Assert.True(Directory.Exists(Weights(20)));
    }
}
