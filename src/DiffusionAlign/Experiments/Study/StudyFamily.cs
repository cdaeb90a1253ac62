namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// The methods the study compares; each has its own grid of settings and its own chosen configuration.
/// </summary>
public enum StudyFamily
{
    /// <summary>Supervised fine-tuning on the winners.</summary>
    Sft,

    /// <summary>Diffusion-DPO.</summary>
    Dpo,

    /// <summary>DSPO in the paper's SD1.5 form (score matching), β on its own small scale.</summary>
    DspoSd15,

    /// <summary>
    /// The SD1.5 form with the margin u on Diffusion-DPO's scale (DspoMarginBeta) and a small shift β.
    /// </summary>
    DspoMargin,

    /// <summary>DSPO in the authors' SDXL branch, β on Diffusion-DPO's scale.</summary>
    DspoSdxl,
}

/// <summary>Names of the families.</summary>
public static class StudyFamilies
{
    public static IReadOnlyList<StudyFamily> All { get; } =
        [StudyFamily.Sft, StudyFamily.Dpo, StudyFamily.DspoSd15, StudyFamily.DspoMargin, StudyFamily.DspoSdxl];

    /// <summary>The DSPO forms, each compared head to head with Diffusion-DPO.</summary>
    public static IReadOnlyList<StudyFamily> DspoForms { get; } =
        [StudyFamily.DspoSd15, StudyFamily.DspoMargin, StudyFamily.DspoSdxl];

    /// <summary>The family as folders and JSON spell it.</summary>
    public static string Key(this StudyFamily family) => family switch
    {
        StudyFamily.Sft => "sft",
        StudyFamily.Dpo => "dpo",
        StudyFamily.DspoSd15 => "dspo-sd15",
        StudyFamily.DspoMargin => "dspo-margin",
        StudyFamily.DspoSdxl => "dspo-sdxl",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>The family as tables name it.</summary>
    public static string Title(this StudyFamily family) => family switch
    {
        StudyFamily.Sft => "SFT on winners",
        StudyFamily.Dpo => "Diffusion-DPO",
        StudyFamily.DspoSd15 => "DSPO, SD1.5 form",
        StudyFamily.DspoMargin => "DSPO, SD1.5 form, margin on DPO's scale",
        StudyFamily.DspoSdxl => "DSPO, SDXL branch",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <exception cref="DiffusionAlignException">No family has that key.</exception>
    public static StudyFamily ParseFamily(string key)
    {
        foreach (var family in All)
            if (family.Key() == key) return family;
        throw new DiffusionAlignException($"unknown method family '{key}'");
    }
}
