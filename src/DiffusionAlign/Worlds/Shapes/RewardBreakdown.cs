namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// The ground-truth reward of one image and the named components it is built from, each in [0, 1]
/// (1 = perfect). <see cref="Score"/> is their weighted geometric mean; see <see cref="ShapesReward"/>.
/// </summary>
/// <param name="Score">The reward, in [0, 1].</param>
/// <param name="BackgroundColour">Prompt alignment: the measured background is the prompt's background colour.</param>
/// <param name="ShapeColour">Prompt alignment: the measured shape colour is the prompt's colour.</param>
/// <param name="ShapeType">Prompt alignment: the prompt's shape fits the mask better than any other shape.</param>
/// <param name="ShapeFit">Prompt alignment: how well the prompt's shape template covers the mask (soft IoU).</param>
/// <param name="Centring">Aesthetics: the shape's centroid is near the image centre.</param>
/// <param name="Size">Aesthetics: the shape covers about 20% of the image.</param>
/// <param name="Sharpness">Aesthetics: the outline is crisp rather than blurred.</param>
/// <param name="Contrast">Aesthetics: the shape stands out from
/// the background as much as the prompt's colours allow.</param>
/// <param name="Noise">Aesthetics: flat areas are free of pixel noise.</param>
public sealed record RewardBreakdown(
    double Score,
    double BackgroundColour,
    double ShapeColour,
    double ShapeType,
    double ShapeFit,
    double Centring,
    double Size,
    double Sharpness,
    double Contrast,
    double Noise)
{
    /// <summary>The components by name, in declaration order (for logs and reports).</summary>
    public IReadOnlyList<(string Name, double Value)> Components =>
    [
        (nameof(BackgroundColour), BackgroundColour),
        (nameof(ShapeColour), ShapeColour),
        (nameof(ShapeType), ShapeType),
        (nameof(ShapeFit), ShapeFit),
        (nameof(Centring), Centring),
        (nameof(Size), Size),
        (nameof(Sharpness), Sharpness),
        (nameof(Contrast), Contrast),
        (nameof(Noise), Noise),
    ];
}
