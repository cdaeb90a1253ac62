using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Objectives;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// The DSPO-vs-DPO study's sizes: pairs per regime and split, the shared training recipe, each family's grid,
/// validation and test evaluation sizes and replicate seeds. <see cref="Default"/> fits the time budget on a
/// 2-core CPU (docs/study.md); <see cref="Quick"/> is a smoke run of a few minutes that proves nothing.
/// </summary>
public sealed record StudyConfig
{
    /// <summary>Training pairs of every regime (on Train prompts).</summary>
    public int TrainPairs { get; init; } = 192;

    /// <summary>Validation pairs of each source (on Validation prompts), for ranking accuracy while choosing.</summary>
    public int ValidationPairs { get; init; } = 48;

    /// <summary>Test pairs of each source (on Test prompts), for the final tables' ranking accuracy.</summary>
    public int TestPairs { get; init; } = 48;

    /// <summary>
    /// Expected agreement of the labels with the reward order on the on-policy training pairs; the temperature τ
    /// found there labels every other set too, so all regimes share one labeller.
    /// </summary>
    public double LabelAgreement { get; init; } = new PairGenerationConfig(Count: 1).TargetAgreement;

    /// <summary>Sampling for on-policy pairs and for every evaluation (the demo's).</summary>
    public SamplingOptions Sampling { get; init; } = DemoConfig.Default.Sampling;

    public StudyTraining Training { get; init; } = new();

    public StudyGrid Grid { get; init; } = new();

    public int ValidationPrompts { get; init; } = 15;

    /// <summary>Initial noises per validation prompt, for every checkpoint of the grid.</summary>
    public int ValidationSeeds { get; init; } = 2;

    public int TestPrompts { get; init; } = 15;

    /// <summary>Initial noises per test prompt, for each replicate.</summary>
    public int TestSeeds { get; init; } = 4;

    /// <summary>(t, ε) draws per pair for ranking accuracies.</summary>
    public int ElboDraws { get; init; } = 2;

    /// <summary>Training seeds of each chosen configuration (seed 0 is the grid's own run).</summary>
    public int Replicates { get; init; } = 3;

    public int BootstrapResamples { get; init; } = ClusteredBootstrap.DefaultResamples;

    public long Seed { get; init; } = 0;

    public StudyRegime[] Regimes { get; init; } = [.. StudyRegimes.All];

    /// <summary>
    /// Keep the weights of every grid checkpoint; by default the selection stage deletes those not chosen
    /// (their results stay).
    /// </summary>
    public bool KeepAllCheckpointWeights { get; init; }

    /// <summary>Measured unit costs the time estimate is made from (not part of the study's identity).</summary>
    public StudyCosts Costs { get; init; } = new();

    public static StudyConfig Default => new();

    /// <summary>Minutes: every stage and table on tiny sizes, for smoke runs and tests.</summary>
    public static StudyConfig Quick => new()
    {
        TrainPairs = 16,
        ValidationPairs = 8,
        TestPairs = 8,
        Sampling = new SamplingOptions(Steps: 4, GuidanceScale: Default.Sampling.GuidanceScale),
        Training = new StudyTraining { Steps = 4, BatchSize = 2, WarmupSteps = 1, Checkpoints = 2 },
        Grid = new StudyGrid
        {
            DpoBetas = [DiffusionDpoLoss.DefaultBeta],
            DspoBetas = [DspoLoss.DefaultBeta],
            DspoSdxlBetas = [DiffusionDpoLoss.DefaultBeta],
        },
        ValidationPrompts = 4,
        ValidationSeeds = 2,
        TestPrompts = 4,
        TestSeeds = 2,
        ElboDraws = 1,
        BootstrapResamples = 200,
    };

    /// <summary>
    /// Settings from a JSON file in the form of <c>study-config.json</c> (which every study folder holds); a setting
    /// the file leaves out keeps <see cref="Default"/>'s value.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The file is missing or not study settings.</exception>
    public static StudyConfig Read(string path)
    {
        if (!File.Exists(path)) throw new DiffusionAlignException($"study settings not found: {path}");
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<StudyConfig>(File.ReadAllText(path), StudyJson.Options)
                ?? throw new DiffusionAlignException($"{path} holds no study settings");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not study settings: {e.Message}", e);
        }
    }

    /// <summary>How every checkpoint of the grid is judged: validation prompts and noises.</summary>
    public EvaluationConfig ValidationEvaluation() => Evaluation(PromptSet.Validation, ValidationPrompts,
        ValidationSeeds, Seed + 1000);

    /// <summary>How each replicate is judged once: test prompts and other noises.</summary>
    public EvaluationConfig TestEvaluation() => Evaluation(PromptSet.Test, TestPrompts, TestSeeds, Seed + 2000);

    private EvaluationConfig Evaluation(PromptSet set, int prompts, int seeds, long seed) => new(
        Prompts: prompts, Seeds: seeds, Sampling: Sampling, Seed: seed, ElboDraws: ElboDraws,
        PromptSet: set, BootstrapResamples: BootstrapResamples);

    /// <exception cref="InvalidSettingException">A setting out of range, named by its property.</exception>
    public void Validate()
    {
        InvalidSettingException.Check(TrainPairs >= 2, nameof(TrainPairs), $"must be at least 2, got {TrainPairs}");
        InvalidSettingException.Check(ValidationPairs >= 2, nameof(ValidationPairs),
            $"must be at least 2, got {ValidationPairs}");
        InvalidSettingException.Check(TestPairs >= 2, nameof(TestPairs), $"must be at least 2, got {TestPairs}");
        InvalidSettingException.Check(LabelAgreement is > 0.5 and < 1, nameof(LabelAgreement),
            $"must be in (0.5, 1), got {LabelAgreement}");
        // A prompt-clustered interval needs two prompts.
        InvalidSettingException.Check(ValidationPrompts >= 2, nameof(ValidationPrompts),
            $"must be at least 2, got {ValidationPrompts}");
        InvalidSettingException.Check(TestPrompts >= 2, nameof(TestPrompts), $"must be at least 2, got {TestPrompts}");
        InvalidSettingException.Check(Replicates >= 1, nameof(Replicates), $"must be at least 1, got {Replicates}");
        InvalidSettingException.Check(Regimes is { Length: > 0 } && Regimes.Distinct().Count() == Regimes.Length,
            nameof(Regimes), "needs at least one regime, each once");
        Training.Validate();
        Grid.Validate();
        ValidationEvaluation().Validate();
        TestEvaluation().Validate();
    }
}
