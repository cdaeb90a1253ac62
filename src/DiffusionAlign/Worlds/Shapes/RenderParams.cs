namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// Everything that determines a shapes-world image; <see cref="ShapesRenderer.Render"/> is a pure
/// function of it and the output size. Geometry is in fractions of the image side so the same
/// parameters render the same picture at any resolution.
/// </summary>
/// <param name="Shape">Which template to draw (see <see cref="ShapeGeometry"/>).</param>
/// <param name="CentreX">Shape centroid, fraction of the width from the left (0.5 = centred).</param>
/// <param name="CentreY">Shape centroid, fraction of the height from the top.</param>
/// <param name="Size">Equal-area radius as a fraction of the side:
/// the shape covers π·Size² of the image (0.25 ≈ 20%).</param>
/// <param name="ShapeRgb">Paint colour of the shape.</param>
/// <param name="BackgroundRgb">Flat background colour.</param>
/// <param name="Contrast">1 = shape painted in <paramref name="ShapeRgb"/>;
/// c &lt; 1 moves it to background + c·(shape − background).</param>
/// <param name="BlurSigma">Gaussian blur standard deviation as a
/// fraction of the side (0.03 ≈ 1 px at 32×32); 0 = none.</param>
/// <param name="Saturation">1 = unchanged; s &lt; 1 pulls every pixel towards its grey level (Rec. 601 luma).</param>
/// <param name="Haze">0 = none; h &gt; 0 blends every pixel a fraction h towards light grey (0.92).</param>
/// <param name="NoiseStd">Standard deviation of additive per-channel Gaussian noise, in pixel units [0, 1].</param>
/// <param name="NoiseSeed">Seed of the noise, so that rendering is deterministic.</param>
/// <param name="Flaws">Which flaws produced these parameters (empty for
/// a clean render); a record of intent, not used when rendering.</param>
public sealed record RenderParams(
    ShapeKind Shape,
    double CentreX,
    double CentreY,
    double Size,
    Rgb ShapeRgb,
    Rgb BackgroundRgb,
    double Contrast,
    double BlurSigma,
    double Saturation,
    double Haze,
    double NoiseStd,
    int NoiseSeed,
    IReadOnlyList<RenderFlaw> Flaws)
{
    /// <summary>The textbook render of a prompt: centred, size 0.25, exact palette colours, no blur or noise.</summary>
    public static RenderParams Ideal(ShapesPrompt prompt) => new(
        prompt.Shape, 0.5, 0.5, 0.25,
        ShapesVocabulary.Colour(prompt.ShapeColour), ShapesVocabulary.Colour(prompt.Background),
        Contrast: 1, BlurSigma: 0, Saturation: 1, Haze: 0, NoiseStd: 0, NoiseSeed: 0, Flaws: []);
}
