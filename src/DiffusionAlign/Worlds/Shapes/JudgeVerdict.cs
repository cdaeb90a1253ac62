namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// What <see cref="ShapesJudge"/> decided about one image and why: its three read-back checks, the
/// outline's sharpness and the resulting score.
/// </summary>
/// <param name="Score">The judge's score, in [0, 1]: <see cref="Checklist"/> × <see cref="Sharpness"/>.</param>
/// <param name="ShapeColourRight">The shape colour read back is the prompt's.</param>
/// <param name="ShapeRight">The shape read back is the prompt's.</param>
/// <param name="BackgroundRight">The background colour read back is the prompt's.</param>
/// <param name="Checklist">Weighted share of the three checks that passed, in [0, 1].</param>
/// <param name="EdgeRatio">The edge-to-clutter gradient energy ratio (see <see cref="EdgeSharpness"/>).</param>
/// <param name="Sharpness"><see cref="EdgeRatio"/> mapped to [0, 1].</param>
/// <param name="Seen">The inspector's read-back the checks were made on.</param>
public sealed record JudgeVerdict(
    double Score,
    bool ShapeColourRight,
    bool ShapeRight,
    bool BackgroundRight,
    double Checklist,
    double EdgeRatio,
    double Sharpness,
    ShapesInspection Seen);
