using DiffusionAlign.Imaging;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// Classifies an image's background colour, shape colour and shape to the nearest vocabulary entries.
/// </summary>
public sealed class ShapesInspector
{
    /// <summary>Reads back what <paramref name="image"/> shows (any image of at least 8×8 pixels).</summary>
    public ShapesInspection Inspect(RgbImage image)
    {
        var a = ShapesImageAnalysis.Of(image);
        ShapeKind best = ShapeKind.Circle;
        for (int k = 1; k < a.TemplateIou.Length; k++)
            if (a.TemplateIou[k] > a.TemplateIou[(int)best]) best = (ShapeKind)k;
        return new ShapesInspection(
            ShapesVocabulary.NearestBackground(a.Background),
            ShapesVocabulary.NearestShapeColour(a.Foreground),
            best,
            a.Background,
            a.Foreground);
    }
}
