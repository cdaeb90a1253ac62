using DiffusionAlign.Data.Generation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>Predicted and measured seconds per stage, and what the configuration cut to fit.</summary>
public sealed record StudyBudget(
    Dictionary<string, double> EstimateSeconds, Dictionary<string, double> ActualSeconds, double EstimateTotal,
    double ActualTotal, List<string> Cuts, StudyCosts Costs);

/// <summary>What a regime trains on, validates and tests with.</summary>
public sealed record RegimeInfo(
    StudyRegime Regime, string Description, Dictionary<PairSource, int> TrainPairs,
    Dictionary<PairSource, int> ValidationPairs, Dictionary<PairSource, int> TestPairs);

/// <summary>The answer to "does DSPO beat DPO here?" for one regime, generated from the test numbers.</summary>
public sealed record RegimeVerdict(StudyRegime Regime, string Answer, string Paragraph);

/// <summary><c>study.json</c>: everything the study did and found, section by section.</summary>
public sealed record StudyReport
{
    public required string Generated { get; init; }

    public required string BaseModel { get; init; }

    public required StudyConfig Config { get; init; }

    public required StudyBudget Budget { get; init; }

    public required List<RegimeInfo> Regimes { get; init; }

    public required PairsStageResult Pairs { get; init; }

    public required GridStageResult Grid { get; init; }

    public required SelectionResult Selection { get; init; }

    public required ReplicatesStageResult Replicates { get; init; }

    public required TestStageResult Test { get; init; }

    public required List<CorrelationRow> Correlations { get; init; }

    public required List<RegimeVerdict> Verdicts { get; init; }

    /// <summary>The figures written beside study.json.</summary>
    public required List<string> Plots { get; init; }
}
