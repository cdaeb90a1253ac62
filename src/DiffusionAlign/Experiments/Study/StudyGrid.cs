using DiffusionAlign.Objectives;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// The settings tried for each family. <see cref="Full"/> is the design (the papers' and the demo's β and their
/// neighbours); the default drops values to fit the time budget, and <see cref="StudyCuts"/> says which.
/// </summary>
public sealed record StudyGrid
{
    public double[] DpoBetas { get; init; } = [DiffusionDpoLoss.DefaultBeta, 5000];

    /// <summary>The SD1.5 form's β, on its own scale (the paper publishes 0.001).</summary>
    public double[] DspoBetas { get; init; } = [DspoLoss.DefaultBeta, 0.05];

    /// <summary>The margin form's shift β.</summary>
    public double DspoMarginShiftBeta { get; init; } = 0.01;

    /// <summary>The margin form's margin scale: Diffusion-DPO's β.</summary>
    public double DspoMarginBeta { get; init; } = DiffusionDpoLoss.DefaultBeta;

    public double[] DspoSdxlBetas { get; init; } = [DiffusionDpoLoss.DefaultBeta, 5000];

    /// <summary>The whole design, before cuts for time.</summary>
    public static StudyGrid Full { get; } = new()
    {
        DpoBetas = [1000, DiffusionDpoLoss.DefaultBeta, 5000],
        DspoBetas = [DspoLoss.DefaultBeta, 0.01, 0.05],
        DspoSdxlBetas = [1000, DiffusionDpoLoss.DefaultBeta, 5000],
    };

    /// <summary>Every point, family by family in <see cref="StudyFamilies.All"/> order.</summary>
    public IReadOnlyList<GridPoint> Points() =>
    [
        new GridPoint(StudyFamily.Sft, DspoLoss.DefaultBeta),
        .. DpoBetas.Select(b => new GridPoint(StudyFamily.Dpo, b)),
        .. DspoBetas.Select(b => new GridPoint(StudyFamily.DspoSd15, b)),
        new GridPoint(StudyFamily.DspoMargin, DspoMarginShiftBeta, DspoMarginBeta),
        .. DspoSdxlBetas.Select(b => new GridPoint(StudyFamily.DspoSdxl, b)),
    ];

    /// <exception cref="InvalidSettingException">An empty grid or a β that is not positive.</exception>
    public void Validate()
    {
        var grids = new[]
        {
            (nameof(DpoBetas), DpoBetas), (nameof(DspoBetas), DspoBetas), (nameof(DspoSdxlBetas), DspoSdxlBetas),
        };
        foreach (var (name, values) in grids)
        {
            InvalidSettingException.Check(values is { Length: > 0 }, name, "needs at least one β");
            InvalidSettingException.Check(values.All(b => b > 0 && double.IsFinite(b)), name,
                "every β must be positive and finite");
            InvalidSettingException.Check(values.Distinct().Count() == values.Length, name, "holds a β twice");
        }
        InvalidSettingException.Check(DspoMarginShiftBeta > 0 && DspoMarginBeta > 0, nameof(DspoMarginBeta),
            "both margin-form βs must be positive");
    }
}
