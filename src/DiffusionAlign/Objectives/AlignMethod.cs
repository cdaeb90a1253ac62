namespace DiffusionAlign.Objectives;

/// <summary>Which preference objective a run trains with.</summary>
public enum AlignMethod
{
    /// <summary>Direct Score Preference Optimization (Zhu, Xiao, Honavar, ICLR 2025): <see cref="DspoLoss"/>.</summary>
    Dspo,

    /// <summary>Diffusion-DPO (Wallace et al. 2023): <see cref="DiffusionDpoLoss"/>.</summary>
    Dpo,

    /// <summary>Supervised fine-tuning on winners only, the baseline: <see cref="SftLoss"/>.</summary>
    Sft,
}
