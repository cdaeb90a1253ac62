using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Mixing;

/// <summary>How <see cref="MirrorDescentWeights"/> searches for the weights that maximise the worst reward.</summary>
/// <param name="Iterations">Mirror ascent steps T.</param>
/// <param name="SamplesPerProbe">
/// (prompt, noise) samples each probe of the objective draws; every probe of one iteration draws the same ones.
/// </param>
/// <param name="StepSize">
/// η of <c>w ← w ⊙ exp(η_t·g)</c>, <c>η_t = η/√(t + 1)</c>. Rewards in [0, 1] that two policies move by 0.05–0.2
/// give g of that order, so η = 5 moves the log-odds of two weights by about 0.25–1 in the first step.
/// </param>
/// <param name="ProbeSize">
/// δ of the finite differences: each gradient coordinate compares the mixture with <c>(1 − δ)·w + δ·e_i</c>.
/// Larger δ sees past sampling noise; smaller δ has less bias near the kink where two rewards cross.
/// </param>
/// <param name="Seed">Fixes each iteration's prompts and initial noises.</param>
/// <param name="PromptSet">
/// Where the prompts come from: validation, so weights are chosen on prompts the final (test) evaluation never sees.
/// </param>
/// <param name="Sampling">How each probe samples (<see cref="SamplingOptions.Fast"/> when null).</param>
/// <param name="BatchSize">Samples per sampling batch.</param>
public sealed record MirrorDescentConfig(
    int Iterations = 8,
    int SamplesPerProbe = 32,
    double StepSize = 5.0,
    double ProbeSize = 0.25,
    long Seed = 0,
    PromptSet PromptSet = PromptSet.Validation,
    SamplingOptions? Sampling = null,
    int BatchSize = 64)
{
    public SamplingOptions EffectiveSampling => Sampling ?? SamplingOptions.Fast;

    public void Validate()
    {
        InvalidSettingException.Check(Iterations >= 1, nameof(Iterations), $"must be at least 1, got {Iterations}");
        InvalidSettingException.Check(SamplesPerProbe >= 1, nameof(SamplesPerProbe),
            $"must be at least 1, got {SamplesPerProbe}");
        InvalidSettingException.Check(StepSize > 0 && double.IsFinite(StepSize), nameof(StepSize),
            $"must be a positive number, got {StepSize}");
        InvalidSettingException.Check(ProbeSize > 0 && ProbeSize <= 1, nameof(ProbeSize),
            $"must be in (0, 1], got {ProbeSize}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(Enum.IsDefined(PromptSet), nameof(PromptSet), $"unknown prompt set {PromptSet}");
        EffectiveSampling.Validate();
    }
}
