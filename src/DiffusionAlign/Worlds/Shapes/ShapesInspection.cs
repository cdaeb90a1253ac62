namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// What an image shows, read back into the world's vocabulary with the same measurements as the
/// reward: lets reports say "the prompt's shape colour was right in X% of samples".
/// </summary>
/// <param name="Background">Background colour name nearest to the measured background.</param>
/// <param name="ShapeColour">Shape colour name nearest to the measured shape colour.</param>
/// <param name="Shape">The shape whose template fits the foreground best.</param>
/// <param name="BackgroundRgb">Measured background colour (median of the border pixels).</param>
/// <param name="ShapeRgb">Measured shape colour.</param>
public sealed record ShapesInspection(
    BackgroundColour Background,
    ShapeColour ShapeColour,
    ShapeKind Shape,
    Rgb BackgroundRgb,
    Rgb ShapeRgb)
{
    /// <summary>True when background, shape colour and shape all match the prompt.</summary>
    public bool Matches(ShapesPrompt prompt) =>
        Background == prompt.Background && ShapeColour == prompt.ShapeColour && Shape == prompt.Shape;
}
