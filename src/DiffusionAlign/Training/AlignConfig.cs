namespace DiffusionAlign.Training;

/// <summary>Which preference objective to train with.</summary>
public enum AlignMethod
{
    /// <summary>Direct Score Preference Optimization (Zhu, Xiao, Honavar, ICLR 2025).</summary>
    Dspo,

    /// <summary>Diffusion-DPO (Wallace et al. 2023).</summary>
    Dpo,

    /// <summary>Supervised fine-tuning on winners only (the baseline).</summary>
    Sft,
}

/// <summary>
/// The recipe of one preference-alignment run. Effective batch = <see cref="BatchSize"/> ×
/// <see cref="GradAccum"/> pairs per optimizer step, as in Diffusion-DPO's launcher.
/// </summary>
public sealed record AlignConfig
{
    public AlignMethod Method { get; init; } = AlignMethod.Dspo;

    public int Steps { get; init; } = 300;

    /// <summary>Pairs per micro-batch (each pair is two images through the UNet).</summary>
    public int BatchSize { get; init; } = 8;

    public int GradAccum { get; init; } = 1;

    public double LearningRate { get; init; } = 1e-4;

    /// <summary>β: the KL strength of Diffusion-DPO, the shift scale of DSPO (different scales; see REFERENCE.md).</summary>
    public double Beta { get; init; } = 1000;

    public int WarmupSteps { get; init; } = 20;

    /// <summary>Which DSPO form (ignored by other methods): the paper's SD1.5 score matching, or the authors' SDXL branch.</summary>
    public Objectives.DspoVariant DspoVariant { get; init; } = Objectives.DspoVariant.ScoreMatching;

    public double WeightDecay { get; init; } = 1e-2;

    public double GradClipNorm { get; init; } = 1.0;

    /// <summary>Share of prompts replaced by the empty prompt (Diffusion-DPO uses 20% on Pick-a-Pic).</summary>
    public double PromptDropout { get; init; } = 0.0;

    /// <summary>Random horizontal flip of both images of a pair together.</summary>
    public bool RandomFlip { get; init; }

    public long Seed { get; init; } = 0;

    /// <summary>Read metrics back from LibTorch every this many steps (each read is a host sync).</summary>
    public int LogEvery { get; init; } = 1;

    public int CheckpointEvery { get; init; } = 50;

    /// <summary>Stop after this many optimizer steps of this invocation (tests use it to simulate a crash).</summary>
    public int? StopAfter { get; init; }

    public int EffectiveBatch => BatchSize * GradAccum;

    /// <summary>
    /// The tuned recipe for each method on the embedded world (see README for how it was chosen):
    /// β lives on different scales for DPO and DSPO, so each method has its own defaults.
    /// </summary>
    public static AlignConfig DefaultsFor(AlignMethod method) => method switch
    {
        AlignMethod.Dpo => new AlignConfig { Method = AlignMethod.Dpo, Beta = 2000, LearningRate = 2e-5 },
        AlignMethod.Dspo => new AlignConfig { Method = AlignMethod.Dspo, Beta = 0.001, LearningRate = 2e-5 },
        _ => new AlignConfig { Method = AlignMethod.Sft, Beta = 1, LearningRate = 2e-5 },
    };

    public void Validate()
    {
        if (Steps < 1) throw new DiffusionAlignException($"--steps must be at least 1, got {Steps}");
        if (BatchSize < 1) throw new DiffusionAlignException($"--batch must be at least 1, got {BatchSize}");
        if (GradAccum < 1) throw new DiffusionAlignException($"--grad-accum must be at least 1, got {GradAccum}");
        if (!(LearningRate > 0)) throw new DiffusionAlignException($"--lr must be positive, got {LearningRate}");
        if (!(Beta > 0)) throw new DiffusionAlignException($"--beta must be positive, got {Beta}");
        if (WarmupSteps < 0) throw new DiffusionAlignException($"--warmup must be >= 0, got {WarmupSteps}");
        if (PromptDropout is < 0 or > 1) throw new DiffusionAlignException($"prompt dropout must be in [0, 1], got {PromptDropout}");
        if (LogEvery < 1) throw new DiffusionAlignException($"--log-every must be at least 1, got {LogEvery}");
    }
}
