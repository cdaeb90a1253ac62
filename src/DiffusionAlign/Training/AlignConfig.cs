using System.Globalization;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Objectives;

namespace DiffusionAlign.Training;

/// <summary>
/// The recipe of one preference-alignment run. Effective batch = <see cref="BatchSize"/> ×
/// <see cref="GradAccum"/> × <see cref="DataParallelProcesses"/> pairs per optimizer step, as in Diffusion-DPO's
/// launcher.
/// <c>new AlignConfig()</c> is the DSPO recipe; <see cref="DefaultsFor"/> gives each method's.
/// </summary>
public sealed record AlignConfig
{
    public AlignMethod Method { get; init; } = AlignMethod.Dspo;

    public int Steps { get; init; } = 300;

    /// <summary>Pairs per micro-batch (each pair is two images through the UNet).</summary>
    public int BatchSize { get; init; } = 8;

    public int GradAccum { get; init; } = 1;

    /// <summary>
    /// Peak learning rate; on the shapes world 1e-4 makes every method worse and 2e-5 does not
    /// (docs/lab-notes.md).
    /// </summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>
    /// β: the KL strength of Diffusion-DPO, the shift scale of DSPO; they live on different scales
    /// (docs/method.md), so each method has its own default (<see cref="DefaultsFor"/>).
    /// </summary>
    public double Beta { get; init; } = DspoLoss.DefaultBeta;

    /// <summary>
    /// Steps of linear warm-up to <see cref="LearningRate"/> (none with <see cref="LearningRateScheduler.Constant"/>).
    /// </summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>
    /// The learning-rate schedule, as diffusers names it; constant after warm-up is what Diffusion-DPO and DSPO
    /// published.
    /// </summary>
    public LearningRateScheduler LrScheduler { get; init; } = LearningRateScheduler.ConstantWithWarmup;

    /// <summary>Hard restarts of <see cref="LearningRateScheduler.CosineWithRestarts"/> (lr_num_cycles).</summary>
    public int LrNumCycles { get; init; } = 1;

    /// <summary>Exponent of <see cref="LearningRateScheduler.Polynomial"/> (diffusers' lr_power).</summary>
    public double LrPower { get; init; } = 1.0;

    /// <summary>
    /// The learning rate per pair when <see cref="LearningRate"/> was scaled by the effective batch (diffusers'
    /// <c>--scale_lr</c>, see <see cref="WithScaledLearningRate"/>); null when it was given as it is.
    /// </summary>
    public double? LearningRatePerPair { get; init; }

    /// <summary>
    /// Which DSPO form (ignored by other methods): the paper's SD1.5 score matching, or the authors' SDXL
    /// branch.
    /// </summary>
    public DspoVariant DspoVariant { get; init; } = DspoVariant.ScoreMatching;

    /// <summary>Scale of DSPO's margin u when it should differ from β; null = β, as the authors' code has it.</summary>
    public double? DspoMarginBeta { get; init; }

    /// <summary>AdamW's decoupled weight decay (diffusers' adam_weight_decay).</summary>
    public double WeightDecay { get; init; } = 1e-2;

    public double AdamBeta1 { get; init; } = AdamWSettings.DefaultBeta1;

    public double AdamBeta2 { get; init; } = AdamWSettings.DefaultBeta2;

    public double AdamEpsilon { get; init; } = AdamWSettings.DefaultEpsilon;

    /// <summary>Largest joint 2-norm of the gradients; larger are scaled down (diffusers' max_grad_norm).</summary>
    public double GradClipNorm { get; init; } = 1.0;

    /// <summary>Share of prompts replaced by the empty prompt (Diffusion-DPO uses 20% on Pick-a-Pic).</summary>
    public double PromptDropout { get; init; } = 0.0;

    /// <summary>Random horizontal flip of both images of a pair together.</summary>
    public bool RandomFlip { get; init; }

    public long Seed { get; init; } = 0;

    /// <summary>
    /// LoRA adapters to train instead of the whole UNet (null: full fine-tuning). The reference is then the
    /// policy with its adapters off.
    /// </summary>
    public LoraConfig? Lora { get; init; }

    /// <summary>The dtype the run computes in (bf16 needs <see cref="Lora"/>).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;

    /// <summary>
    /// Recompute the UNet blocks' activations in backward instead of keeping them: less memory, about a
    /// third more compute.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>Read metrics back from LibTorch every this many steps (each read is a host sync).</summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Save a resumable checkpoint every this many steps (0 = only when stopped early).</summary>
    public int CheckpointEvery { get; init; } = 50;

    /// <summary>
    /// Steps in a row whose loss or gradient is not finite (each skipped, not applied) before the run stops.
    /// </summary>
    public int NonFiniteStepLimit { get; init; } = 5;

    /// <summary>How many of the newest checkpoints to keep (older ones are deleted once a new one is safe).</summary>
    public int CheckpointsTotalLimit { get; init; } = 2;

    /// <summary>Stop after this many optimizer steps of this invocation (tests use it to simulate a crash).</summary>
    public int? StopAfter { get; init; }

    /// <summary>
    /// Processes training in data parallel (<c>mpirun -np N</c>), each on its own <see cref="BatchSize"/> pairs of
    /// every micro-batch; the trainer's communicator must have this many. A checkpoint resumes only under the same
    /// number, since it fixes which pairs form a global batch.
    /// </summary>
    public int DataParallelProcesses { get; init; } = 1;

    /// <summary>Pairs per optimizer step over all processes: batch × grad-accum × processes.</summary>
    public int EffectiveBatch => BatchSize * GradAccum * DataParallelProcesses;

    /// <summary>
    /// The recipe of each method on the embedded world (docs/lab-notes.md tells how it was chosen):
    /// β lives on different scales for DPO and DSPO, so each method has its own.
    /// </summary>
    public static AlignConfig DefaultsFor(AlignMethod method) => method switch
    {
        AlignMethod.Dpo => new AlignConfig { Method = AlignMethod.Dpo, Beta = DiffusionDpoLoss.DefaultBeta },
        AlignMethod.Dspo => new AlignConfig { Method = AlignMethod.Dspo },
        AlignMethod.Sft => new AlignConfig { Method = AlignMethod.Sft },
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown alignment method"),
    };

    /// <summary>The objective this recipe trains with.</summary>
    public IPreferenceObjective CreateObjective() =>
        PreferenceObjectives.Create(Method, Beta, DspoVariant, DspoMarginBeta);

    /// <summary>The trainer's AdamW: the run's peak learning rate, betas, ε and weight decay.</summary>
    public AdamWSettings OptimizerSettings() => new(LearningRate, AdamBeta1, AdamBeta2, AdamEpsilon, WeightDecay);

    /// <summary>The learning rate of each step.</summary>
    public LearningRateSchedule Schedule() =>
        LearningRateSchedule.For(LrScheduler, LearningRate, WarmupSteps, Steps, LrNumCycles, LrPower);

    /// <summary>
    /// The recipe with <see cref="LearningRate"/> read as a rate per pair and multiplied by the effective batch
    /// (batch × grad-accum), as diffusers' <c>--scale_lr</c> does and the papers state theirs (1e-8 × 2048); the
    /// rate per pair is kept in <see cref="LearningRatePerPair"/>.
    /// </summary>
    public AlignConfig WithScaledLearningRate()
    {
        double perPair = LearningRatePerPair ?? LearningRate;
        return this with { LearningRatePerPair = perPair, LearningRate = perPair * EffectiveBatch };
    }

    /// <summary>
    /// Whether <paramref name="method"/> reads the setting named <paramref name="setting"/> (a property name):
    /// SFT has no β, and only DSPO has the DSPO settings; every other setting applies to every method.
    /// </summary>
    public static bool Uses(AlignMethod method, string setting) => setting switch
    {
        nameof(Beta) => method != AlignMethod.Sft,
        nameof(DspoVariant) or nameof(DspoMarginBeta) => method == AlignMethod.Dspo,
        _ => true,
    };

    /// <exception cref="InvalidSettingException">A setting outside its range, named by its property.</exception>
    public void Validate()
    {
        InvalidSettingException.Check(Steps >= 1, nameof(Steps), $"must be at least 1, got {Steps}");
        InvalidSettingException.Check(BatchSize >= 1, nameof(BatchSize), $"must be at least 1, got {BatchSize}");
        InvalidSettingException.Check(GradAccum >= 1, nameof(GradAccum), $"must be at least 1, got {GradAccum}");
        InvalidSettingException.Check(DataParallelProcesses >= 1, nameof(DataParallelProcesses),
            $"must be at least 1, got {DataParallelProcesses}");
        // Before the scaled rate: a user who typed --lr -1 --scale-lr is told about -1, not -1 × the batch.
        InvalidSettingException.Check(LearningRatePerPair is null or > 0, nameof(LearningRatePerPair),
            $"must be positive, got {LearningRatePerPair}");
        InvalidSettingException.Check(LearningRate > 0 && !double.IsInfinity(LearningRate), nameof(LearningRate),
            $"must be positive and finite, got {LearningRate}");
        InvalidSettingException.Check(Beta > 0 && !double.IsInfinity(Beta), nameof(Beta),
            $"must be positive and finite, got {Beta}");
        InvalidSettingException.Check(
            DspoMarginBeta is null || (DspoMarginBeta > 0 && !double.IsInfinity(DspoMarginBeta.Value)),
            nameof(DspoMarginBeta), $"must be positive and finite, got {DspoMarginBeta}");
        InvalidSettingException.Check(WarmupSteps >= 0, nameof(WarmupSteps), $"must be >= 0, got {WarmupSteps}");
        InvalidSettingException.Check(Enum.IsDefined(LrScheduler), nameof(LrScheduler),
            $"must be one of {string.Join(", ", LearningRateSchedulerWords.All)}, got {LrScheduler}");
        InvalidSettingException.Check(LrNumCycles >= 1, nameof(LrNumCycles), $"must be at least 1, got {LrNumCycles}");
        InvalidSettingException.Check(LrPower > 0 && !double.IsInfinity(LrPower), nameof(LrPower),
            $"must be positive and finite, got {LrPower}");
        // diffusers refuses the same: the polynomial schedule would rise towards its end rate.
        InvalidSettingException.Check(
            LrScheduler != LearningRateScheduler.Polynomial
                || LearningRate > LearningRateSchedule.DefaultEndLearningRate,
            nameof(LearningRate), "must be above the polynomial schedule's end rate "
                + LearningRateSchedule.DefaultEndLearningRate.ToString("0e0", CultureInfo.InvariantCulture)
                + $", got {LearningRate}");
        // A recipe scaled and then given another batch would train at a rate that matches neither.
        InvalidSettingException.Check(
            LearningRatePerPair is not { } perPair
                || Math.Abs(perPair * EffectiveBatch - LearningRate) <= 1e-12 * LearningRate,
            nameof(LearningRate), $"is {LearningRate}, not the rate per pair {LearningRatePerPair} × the effective "
                + $"batch {EffectiveBatch}: scale the learning rate after setting the batch");
        InvalidSettingException.Check(WeightDecay >= 0 && !double.IsInfinity(WeightDecay), nameof(WeightDecay),
            $"must be >= 0 and finite, got {WeightDecay}");
        InvalidSettingException.Check(AdamBeta1 is >= 0 and < 1, nameof(AdamBeta1),
            $"must be in [0, 1), got {AdamBeta1}");
        InvalidSettingException.Check(AdamBeta2 is >= 0 and < 1, nameof(AdamBeta2),
            $"must be in [0, 1), got {AdamBeta2}");
        InvalidSettingException.Check(AdamEpsilon >= 0 && !double.IsInfinity(AdamEpsilon), nameof(AdamEpsilon),
            $"must be >= 0 and finite, got {AdamEpsilon}");
        // +∞ is allowed: no clipping, as torch's clip_grad_norm_ with an infinite max_norm.
        InvalidSettingException.Check(GradClipNorm > 0, nameof(GradClipNorm), $"must be positive, got {GradClipNorm}");
        InvalidSettingException.Check(PromptDropout is >= 0 and <= 1, nameof(PromptDropout),
            $"must be in [0, 1], got {PromptDropout}");
        Lora?.Validate();
        InvalidSettingException.Check(LogEvery >= 1, nameof(LogEvery), $"must be at least 1, got {LogEvery}");
        InvalidSettingException.Check(NonFiniteStepLimit >= 0, nameof(NonFiniteStepLimit),
            $"must be >= 0, got {NonFiniteStepLimit}");
        InvalidSettingException.Check(CheckpointsTotalLimit >= 1, nameof(CheckpointsTotalLimit),
            $"must be at least 1, got {CheckpointsTotalLimit}");
        InvalidSettingException.Check(CheckpointEvery >= 0, nameof(CheckpointEvery),
            $"must be >= 0, got {CheckpointEvery}");
    }
}
