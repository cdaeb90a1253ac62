using DiffusionAlign.Evaluation;
using DiffusionAlign.Objectives;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;

namespace DiffusionAlign.Experiments;

/// <summary>
/// The shapes-world demo recipe: how many pairs, how long each method trains, how big the
/// evaluation is. <see cref="Default"/> is the documented recipe; <see cref="Quick"/> is a smoke test.
/// </summary>
public sealed record DemoConfig
{
    public int TrainPairs { get; init; } = 640;

    public int HeldOutPairs { get; init; } = 160;

    /// <summary>Sampling used to generate pairs and to evaluate.</summary>
    public SamplingOptions Sampling { get; init; } = EvaluationDefaults.EffectiveSampling;

    public AlignConfig Dpo { get; init; } = AlignConfig.DefaultsFor(AlignMethod.Dpo);

    public AlignConfig Dspo { get; init; } = AlignConfig.DefaultsFor(AlignMethod.Dspo);

    public AlignConfig Sft { get; init; } = AlignConfig.DefaultsFor(AlignMethod.Sft);

    /// <summary>
    /// DSPO in the authors' SDXL branch (docs/method.md, "DSPO"): no score-matching term, only the
    /// preference gap times the model/reference score difference, with β on Diffusion-DPO's scale.
    /// Shown beside the paper's SD1.5 form because on this world the two behave very differently.
    /// </summary>
    public AlignConfig DspoSdxl { get; init; } = AlignConfig.DefaultsFor(AlignMethod.Dspo) with
    {
        DspoVariant = DspoVariant.Sdxl,
        Beta = DiffusionDpoLoss.DefaultBeta,
    };

    public int EvalPrompts { get; init; } = EvaluationDefaults.Prompts;

    public int EvalSeeds { get; init; } = EvaluationDefaults.Seeds;

    public int ElboDraws { get; init; } = EvaluationDefaults.ElboDraws;

    public long Seed { get; init; } = 0;

    public static DemoConfig Default => new();

    /// <summary>The evaluation defaults the demo's evaluation sizes start from.</summary>
    private static EvaluationConfig EvaluationDefaults { get; } = new();

    /// <summary>Minutes, not quarter hours: small enough for smoke tests, too small to prove anything.</summary>
    public static DemoConfig Quick => new()
    {
        TrainPairs = 64,
        HeldOutPairs = 16,
        Sampling = new SamplingOptions(Steps: 6, GuidanceScale: 3.0),
        Dpo = Default.Dpo with { Steps = 8, BatchSize = 4, WarmupSteps = 2 },
        Dspo = Default.Dspo with { Steps = 8, BatchSize = 4, WarmupSteps = 2 },
        Sft = Default.Sft with { Steps = 8, BatchSize = 4, WarmupSteps = 2 },
        DspoSdxl = Default.DspoSdxl with { Steps = 8, BatchSize = 4, WarmupSteps = 2 },
        EvalPrompts = 4,
        EvalSeeds = 4,
        ElboDraws = 2,
    };

    public IEnumerable<(string Name, AlignConfig Config)> Methods()
    {
        yield return ("sft", Sft with { Seed = Seed });
        yield return ("dpo", Dpo with { Seed = Seed });
        yield return ("dspo", Dspo with { Seed = Seed });
        yield return ("dspo-sdxl", DspoSdxl with { Seed = Seed });
    }
}
