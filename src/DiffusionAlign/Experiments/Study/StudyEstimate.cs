namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// The predicted seconds of each stage of a study, from its sizes and <see cref="StudyCosts"/>. Replicates are
/// costed as if every chosen checkpoint were a run's last (an upper bound: an earlier one trains less).
/// </summary>
public sealed record StudyEstimate(IReadOnlyDictionary<string, double> Seconds)
{
    public double TotalSeconds => Seconds.Values.Sum();

    public static StudyEstimate For(StudyConfig config)
    {
        var c = config.Costs;
        var training = config.Training;
        double sample = c.SecondsPerSampleStep * config.Sampling.Steps;
        int regimes = config.Regimes.Length;
        var points = config.Grid.Points();
        int sources = 2;

        double pairs = 2.0 * (config.TrainPairs + config.ValidationPairs + config.TestPairs) * sample;

        double Train(StudyFamily family, int steps) => steps * training.BatchSize
            * (family == StudyFamily.Sft ? c.SecondsPerSftPairStep : c.SecondsPerPairStep);
        double validation = config.ValidationPrompts * config.ValidationSeeds * sample
            + sources * config.ValidationPairs * config.ElboDraws * c.SecondsPerRankedPairDraw + c.SecondsPerModel;
        int checkpoints = training.CheckpointSteps().Count;
        double grid = validation
            + regimes * points.Sum(p => Train(p.Family, training.Steps) + checkpoints * validation + c.SecondsPerModel);

        double replicates = regimes * (config.Replicates - 1)
            * StudyFamilies.All.Sum(f => Train(f, training.Steps) + c.SecondsPerModel);

        int tested = regimes * StudyFamilies.All.Count * config.Replicates + 1;
        double test = tested * (config.TestPrompts * config.TestSeeds * sample
            + sources * config.TestPairs * config.ElboDraws * c.SecondsPerRankedPairDraw + c.SecondsPerModel);

        return new StudyEstimate(new Dictionary<string, double>
        {
            [StudyStage.Pairs.Key()] = pairs,
            [StudyStage.Grid.Key()] = grid,
            [StudyStage.Select.Key()] = 1,
            [StudyStage.Replicates.Key()] = replicates,
            [StudyStage.Test.Key()] = test,
            [StudyStage.Summary.Key()] = 15,
        });
    }
}
