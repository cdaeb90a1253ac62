namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// Unit costs of the study's work on the 2-core CPU it was sized on (docs/study.md, "Budget"): the time estimate
/// is these times the counts of a <see cref="StudyConfig"/>. They predict, they do not limit; a faster or busier
/// machine takes less or more, and the study records the actual time per stage beside the estimate.
/// </summary>
public sealed record StudyCosts
{
    /// <summary>One 32×32 sample through one DDIM step with guidance (two UNet evaluations).</summary>
    public double SecondsPerSampleStep { get; init; } = 0.022;

    /// <summary>
    /// One pair through one optimizer step with a reference (DPO, DSPO): forward, backward, reference.
    /// </summary>
    public double SecondsPerPairStep { get; init; } = 0.12;

    /// <summary>One pair through one SFT step (winners only, no reference).</summary>
    public double SecondsPerSftPairStep { get; init; } = 0.11;

    /// <summary>One pair, one (t, ε) draw, both images, for ranking accuracies.</summary>
    public double SecondsPerRankedPairDraw { get; init; } = 0.01;

    /// <summary>Loading, copying and saving a model, scoring its samples, writing results: per model handled.</summary>
    public double SecondsPerModel { get; init; } = 2.5;
}
